"""Configuration: every default in one place, read from [tool.dslint] or dslint.toml (closest file wins).

Keys are kebab-case in TOML. Unknown keys are errors with a "did you mean". The CLI overrides file values.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from .errors import ConfigError
from .model import Severity
from .schema import FieldMap

CONFIG_FILES = ("dslint.toml", ".dslint.toml", "pyproject.toml")
DEFAULT_MODEL = "all-MiniLM-L6-v2"


def default_cache_dir() -> str:
    if os.environ.get("DSLINT_CACHE_DIR"):
        return os.environ["DSLINT_CACHE_DIR"]
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "dslint")


@dataclass
class Config:
    """All settings of a run. Field names are the TOML keys with '-' for '_'."""

    select: list[str] = field(default_factory=lambda: ["ALL"])
    extend_select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    fail_on: str = "error"
    # Skip checks that need a model (embeddings): what the pre-commit hook runs.
    fast: bool = False
    profile: str = "generic"
    output_format: str = "text"
    per_file_ignores: dict[str, list[str]] = field(default_factory=dict)
    baseline: str | None = None
    cache_dir: str = field(default_factory=default_cache_dir)
    no_cache: bool = False
    embedding_model: str = DEFAULT_MODEL
    embedding_batch_size: int = 64
    neighbors_k: int = 10
    fields: dict[str, str] = field(default_factory=dict)
    severity: dict[str, str] = field(default_factory=dict)
    gate: dict[str, dict[str, float]] = field(default_factory=dict)
    checks: dict[str, dict[str, Any]] = field(default_factory=dict)
    # Where the config came from; relative paths in it resolve against this folder.
    source: str | None = None
    root: str = "."

    @property
    def field_map(self) -> FieldMap:
        return FieldMap(**{k: self.fields.get(k) for k in ("prompt", "target", "text", "label")})

    def resolve_path(self, value: str) -> str:
        return value if os.path.isabs(value) else os.path.normpath(os.path.join(self.root, value))

    def severity_overrides(self) -> dict[str, Severity]:
        return {code.upper(): Severity.parse(level) for code, level in self.severity.items()}

    def fail_on_severity(self) -> Severity:
        return Severity.parse(self.fail_on)


CONFIG_KEYS = [f.name.replace("_", "-") for f in dataclasses.fields(Config) if f.name not in ("source", "root")]
GATE_KEYS = ("max-ratio", "max-count")
FIELD_KEYS = ("prompt", "target", "text", "label")
OUTPUT_FORMATS = ("text", "json", "sarif", "github", "markdown", "html")


def suggest(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def find_config(start: str | os.PathLike[str] | None = None) -> Path | None:
    """The closest dslint.toml / .dslint.toml / pyproject.toml with [tool.dslint], from `start` upward."""
    here = Path(start or os.getcwd()).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        for name in CONFIG_FILES:
            candidate = folder / name
            if not candidate.is_file():
                continue
            if name != "pyproject.toml":
                return candidate
            try:
                if "dslint" in _read_toml(candidate).get("tool", {}):
                    return candidate
            except ConfigError:
                continue
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config ({exc.strerror})") from None


def load_config(path: str | os.PathLike[str] | None = None, *, start: str | None = None) -> Config:
    """Config from an explicit file, or the closest one found from `start`; defaults when there is none."""
    cfg_path = Path(path) if path else find_config(start)
    if cfg_path is None:
        return Config()
    if not cfg_path.is_file():
        raise ConfigError(f"{cfg_path}: config file not found")
    data = _read_toml(cfg_path)
    if cfg_path.name == "pyproject.toml":
        data = data.get("tool", {}).get("dslint", {})
    return config_from_mapping(data, source=str(cfg_path), root=str(cfg_path.parent))


def config_from_mapping(data: dict[str, Any], *, source: str | None = None, root: str = ".") -> Config:
    """Validate a [tool.dslint] mapping and build a Config; raise ConfigError naming the bad key."""
    where = f"{source}: " if source else ""
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        if key not in CONFIG_KEYS:
            raise ConfigError(f"{where}unknown key '{key}'{suggest(key, CONFIG_KEYS)}")
        kwargs[key.replace("-", "_")] = value
    cfg = Config(**kwargs, source=source, root=root)
    validate(cfg, where)
    return cfg


def validate(cfg: Config, where: str = "") -> None:
    for key in ("select", "extend_select", "ignore"):
        value = getattr(cfg, key)
        if isinstance(value, str):
            setattr(cfg, key, [c.strip() for c in value.split(",") if c.strip()])
        elif not isinstance(value, list) or not all(isinstance(c, str) for c in value):
            raise ConfigError(f"{where}'{key.replace('_', '-')}' must be a list of rule codes")
    try:
        Severity.parse(cfg.fail_on)
        cfg.severity_overrides()
    except ValueError as exc:
        raise ConfigError(f"{where}{exc}") from None
    if cfg.output_format not in OUTPUT_FORMATS:
        raise ConfigError(f"{where}unknown output-format '{cfg.output_format}'{suggest(cfg.output_format, OUTPUT_FORMATS)}")
    for key in cfg.fields:
        if key not in FIELD_KEYS:
            raise ConfigError(f"{where}unknown key 'fields.{key}'{suggest(key, FIELD_KEYS)}")
    for code, budget in cfg.gate.items():
        if not isinstance(budget, dict):
            raise ConfigError(f"{where}gate.{code} must be a table like {{ max-ratio = 0.02 }}")
        for key in budget:
            if key not in GATE_KEYS:
                raise ConfigError(f"{where}unknown key 'gate.{code}.{key}'{suggest(key, GATE_KEYS)}")
    for name, opts in cfg.checks.items():
        if not isinstance(opts, dict):
            raise ConfigError(f"{where}checks.{name} must be a table of options")
    if not isinstance(cfg.per_file_ignores, dict):
        raise ConfigError(f"{where}'per-file-ignores' must be a table of glob = [codes]")
    for key in ("embedding_batch_size", "neighbors_k"):
        value = getattr(cfg, key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{where}'{key.replace('_', '-')}' must be a positive integer")


def merge_cli(cfg: Config, overrides: dict[str, Any]) -> Config:
    """A copy of `cfg` with every non-None CLI value applied (CLI beats file); extend lists where asked."""
    changes = {k: v for k, v in overrides.items() if v is not None}
    new = dataclasses.replace(cfg, **changes)
    validate(new)
    return new
