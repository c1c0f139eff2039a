"""Symbolic configuration values, evaluated once the linker knows the environment.

Extractors turn a JS/TS, JSON or YAML value into an `Expr`; nothing is evaluated there, because the
same `ormconfig.js` can run under two pm2 apps with different `env` blocks. `evaluate` follows the
JavaScript semantics the configs rely on (`||`, `??`, `parseInt`, truthiness) and yields `Known` or
`Unknown`, never a guess.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from pgconnlint.model import EnvBinding, Known, Location, Unknown


class Undefined:
    """JavaScript's `undefined`: an option that is absent, or an unset variable."""

    _instance: Undefined | None = None

    def __new__(cls) -> Undefined:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "undefined"


UNDEFINED = Undefined()
CPU_COUNT_VARIABLE = "__PGCONNLINT_CPUS__"  #: `os.cpu_count()` in Python configs; bound by the linker


@dataclass(frozen=True, slots=True)
class Expr:
    """A value as the source writes it, for the evaluator: the base of every kind below."""

    location: Location
    text: str  #: source text, shortened for messages


@dataclass(frozen=True, slots=True)
class Lit(Expr):
    """A literal: a string, a number, a boolean, null or undefined."""

    value: object = None  #: str, int, float, bool, None (null) or UNDEFINED


@dataclass(frozen=True, slots=True)
class Obj(Expr):
    """An object literal, a dict or keyword arguments: its keys, each with its value and its location."""

    entries: dict[str, Expr] = field(default_factory=dict)
    key_locations: dict[str, Location] = field(default_factory=dict)
    opaque_spreads: tuple[str, ...] = ()  #: `...other` entries whose keys cannot be known

    def get(self, dotted: str) -> Expr | None:
        node: Expr | None = self
        for key in dotted.split("."):
            if not isinstance(node, Obj):
                return None
            node = node.entries.get(key)
        return node

    def key_location(self, key: str) -> Location:
        return self.key_locations.get(key, self.location)


@dataclass(frozen=True, slots=True)
class Arr(Expr):
    """An array, list or tuple literal."""

    items: tuple[Expr, ...] = ()


@dataclass(frozen=True, slots=True)
class EnvVar(Expr):
    """`process.env.NAME`, `process.env["NAME"]`, Nest's `config.get("NAME")`."""

    name: str = ""


@dataclass(frozen=True, slots=True)
class Logical(Expr):
    """`a || b`, `a && b`, `a ?? b` (Python's `or`, `and`; a lookup with a default is `??`)."""

    op: str = "||"  #: "||", "&&" or "??"
    left: Expr | None = None
    right: Expr | None = None


@dataclass(frozen=True, slots=True)
class Cond(Expr):
    """`test ? then : otherwise` (Python's `then if test else otherwise`)."""

    test: Expr | None = None
    then: Expr | None = None
    otherwise: Expr | None = None


@dataclass(frozen=True, slots=True)
class Compare(Expr):
    """An equality or membership test between two values."""

    op: str = "==="  #: "===", "!==", "==", "!=", and Python's "in", "not in" (the right side a list or tuple)
    left: Expr | None = None
    right: Expr | None = None


@dataclass(frozen=True, slots=True)
class Not(Expr):
    """`!operand` (Python's `not operand`)."""

    operand: Expr | None = None


@dataclass(frozen=True, slots=True)
class Call(Expr):
    """A conversion the evaluator knows: parseInt, parseFloat, Number, Boolean, String, JSON.parse, toBoolean,
    the string methods toLowerCase, toUpperCase and trim, and Python's int, float, math.floor and math.ceil."""

    function: str = ""
    argument: Expr | None = None


@dataclass(frozen=True, slots=True)
class Arith(Expr):
    """`+ - * //` on numbers: Python configs compute worker counts (`cpu_count() * 2 + 1`)."""

    op: str = "+"
    left: Expr | None = None
    right: Expr | None = None


@dataclass(frozen=True, slots=True)
class UrlParam(Expr):
    """`new URL(url).searchParams.get("name")`: a query parameter of a connection URL, null when the URL lacks it."""

    url: Expr | None = None
    name: str = ""


@dataclass(frozen=True, slots=True)
class Applied(Expr):
    """`parseIntSafe(x)`: a function pgconnlint does not read, applied to a value. Only a missing value passes
    through it (as undefined, said in a note), so that `parseIntSafe(param) ?? 20` is 20 when the URL lacks it."""

    function: str = ""
    argument: Expr | None = None


@dataclass(frozen=True, slots=True)
class Opaque(Expr):
    """Anything else: a function call, an import, arithmetic on unknowns."""


# --- evaluation -----------------------------------------------------------------------------------

Environment = Mapping[str, EnvBinding]


@dataclass(frozen=True, slots=True)
class _Val:
    """An intermediate result: the value and the chain of reasons that produced it."""

    value: object
    location: Location
    via: tuple[str, ...] = ()
    unset: str | None = None  #: the variable, when the value is an env var the repository never sets


class _Unknowable(Exception):
    def __init__(self, expr: Expr, reason: str) -> None:
        self.expr, self.reason = expr, reason


def evaluate(expr: Expr | None, env: Environment) -> Known | Unknown | None:
    """The value of `expr` under `env`; None when the option is absent (or evaluates to undefined)."""
    if expr is None:
        return None
    try:
        result = _eval(expr, env)
    except _Unknowable as problem:
        return Unknown(expression=expr.text, location=expr.location, reason=problem.reason)
    if result.unset:
        return Unknown(
            expression=expr.text, location=expr.location, reason=f"{result.unset} is not set in the repository"
        )
    if result.value is UNDEFINED:
        return None
    return Known(result.value, result.location, "; ".join(result.via))


def truthy(value: object) -> bool:
    """JavaScript truthiness: the string "false" is true, which is how `synchronize: process.env.X` bites."""
    if value is None or value is UNDEFINED or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0 and not math.isnan(value)
    if isinstance(value, str):
        return value != ""
    return True


_STRING_METHODS = {"toLowerCase": "lower", "toUpperCase": "upper", "trim": "strip"}


def _eval(expr: Expr, env: Environment) -> _Val:
    if isinstance(expr, Lit):
        return _Val(expr.value, expr.location)
    if isinstance(expr, EnvVar):
        return _env(expr, env)
    if isinstance(expr, Logical):
        return _logical(expr, env)
    if isinstance(expr, Cond):
        test = _known(_eval(expr.test, env), expr.test)
        branch = _eval(expr.then if truthy(test.value) else expr.otherwise, env)
        return _Val(branch.value, branch.location, test.via + branch.via)
    if isinstance(expr, Compare):
        return _compare(expr, env)
    if isinstance(expr, Not):
        operand = _known(_eval(expr.operand, env), expr.operand)
        return _Val(not truthy(operand.value), expr.location, operand.via)
    if isinstance(expr, Call):
        argument = _eval(expr.argument, env)
        if argument.unset and expr.function in _NUMBER_CONVERSIONS:
            # `Number(process.env.X) || 5`: NaN of an unset variable, which `||` looks past like the variable itself
            return _Val(math.nan, expr.location, argument.via, argument.unset)
        argument = _known(argument, expr.argument)
        return _Val(_convert(expr.function, argument.value), argument.location, argument.via)
    if isinstance(expr, Arith):
        return _arith(expr, env)
    if isinstance(expr, UrlParam):
        return _url_param(expr, env)
    if isinstance(expr, Applied):
        return _applied(expr, env)
    if isinstance(expr, (Obj, Arr)):
        return _Val(expr, expr.location)
    raise _Unknowable(expr, "not a value pgconnlint evaluates statically")


def _env(expr: EnvVar, env: Environment) -> _Val:
    binding = env.get(expr.name)
    if binding is None:
        # Unset in every file we read; the deployment may still set it, so only `||`/`??` may proceed.
        return _Val(UNDEFINED, expr.location, unset=expr.name)
    if expr.name == CPU_COUNT_VARIABLE:
        return _Val(binding.value, binding.location, (f"{binding.value} CPUs ({binding.source})",))
    return _Val(
        binding.value,
        binding.location,
        (f"{expr.name}={binding.value!r} from {binding.source} {binding.location.short}",),
    )


def _logical(expr: Logical, env: Environment) -> _Val:
    left = _eval(expr.left, env)
    # `Number(X) ?? 5` with X unset is NaN, not nullish: only `||` looks past a conversion's NaN
    if left.unset and (expr.op == "||" or (expr.op == "??" and not isinstance(expr.left, Call))):
        right = _eval(expr.right, env)
        note = f"{left.unset} is not set in the repository, so the fallback `{expr.right.text}` applies"
        return _Val(right.value, right.location, (note, *right.via), right.unset)
    left = _known(left, expr.left)
    if expr.op == "??":
        take_left = left.value is not None and left.value is not UNDEFINED
    elif expr.op == "||":
        take_left = truthy(left.value)
    else:
        take_left = not truthy(left.value)
    if take_left:
        return left
    right = _eval(expr.right, env)
    return _Val(right.value, right.location, left.via + right.via, right.unset)


def _url_param(expr: UrlParam, env: Environment) -> _Val:
    url = _eval(expr.url, env)
    if url.unset:  # the URL itself is not set: as unknown as it, and `??` may look past it alike
        return _Val(UNDEFINED, expr.location, url.via, url.unset)
    if not isinstance(url.value, str):
        raise _Unknowable(expr, "not a URL pgconnlint can read")
    from urllib.parse import parse_qs, urlsplit

    try:
        query = parse_qs(urlsplit(url.value).query, keep_blank_values=True)
    except ValueError as error:
        raise _Unknowable(expr, "not a URL pgconnlint can read") from error
    if expr.name in query:
        return _Val(query[expr.name][0], url.location, (*url.via, f"{expr.name} from the URL"))
    return _Val(None, url.location, (*url.via, f"the URL has no {expr.name} parameter"))


def _applied(expr: Applied, env: Environment) -> _Val:
    argument = _eval(expr.argument, env)
    if argument.unset:
        return _Val(UNDEFINED, expr.location, argument.via, argument.unset)
    if argument.value is None or argument.value is UNDEFINED:
        note = f"{expr.function}() of a missing value taken as undefined (its body is not read)"
        return _Val(UNDEFINED, expr.location, (*argument.via, note))
    raise _Unknowable(expr, f"{expr.function}() is a function pgconnlint does not read")


def _arith(expr: Arith, env: Environment) -> _Val:
    left, right = _known(_eval(expr.left, env), expr.left), _known(_eval(expr.right, env), expr.right)
    numbers = [side.value for side in (left, right)]
    if not all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in numbers):
        raise _Unknowable(expr, "arithmetic on something that is not a number")
    a, b = numbers
    if expr.op in ("//", "/") and b == 0:
        raise _Unknowable(expr, "division by zero")
    if expr.op in ("min", "max"):  # Python's min(a, b) / max(a, b) of two numbers
        value = min(a, b) if expr.op == "min" else max(a, b)
    else:
        value = {"+": a + b, "-": a - b, "*": a * b, "//": a // b if b else 0, "/": a / b if b else 0}[expr.op]
    return _Val(value, expr.location, left.via + right.via)


def _known(result: _Val, expr: Expr) -> _Val:
    """`result`, unless it is an unset variable, which only `||` and `??` may look past."""
    if result.unset:
        raise _Unknowable(expr, f"{result.unset} is not set in the repository")
    return result


def _compare(expr: Compare, env: Environment) -> _Val:
    if expr.op in ("in", "not in"):
        return _contains(expr, env)
    left, right = _known(_eval(expr.left, env), expr.left), _known(_eval(expr.right, env), expr.right)
    equal = left.value == right.value and type(left.value) is type(right.value)
    if expr.op in ("==", "!="):
        equal = str(left.value) == str(right.value)
    return _Val(equal if expr.op in ("===", "==") else not equal, expr.location, left.via + right.via)


def _contains(expr: Compare, env: Environment) -> _Val:
    """`os.getenv("DB") in ["mysql", "mariadb"]`."""
    if not isinstance(expr.right, Arr):
        raise _Unknowable(expr, "membership in something that is not a list")
    left = _known(_eval(expr.left, env), expr.left)
    items = [_known(_eval(item, env), item).value for item in expr.right.items]
    found = any(item == left.value and type(item) is type(left.value) for item in items)
    return _Val(found == (expr.op == "in"), expr.location, left.via)


def _python_number(function: str, value: object) -> object:
    try:
        number = int(value) if function == "int" else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan  # the app would fail at start-up; the pool size is not a number
    return number


_NUMBER_CONVERSIONS = ("Number", "parseInt", "parseFloat")
_LEADING_INT = re.compile(r"\s*([+-]?\d+)")
_LEADING_FLOAT = re.compile(r"\s*([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)")


def _convert(function: str, value: object) -> object:
    if function in _STRING_METHODS:  # `driver.toLowerCase()`: a TypeError on anything but a string, never a value
        return getattr(str, _STRING_METHODS[function])(value) if isinstance(value, str) else math.nan
    if function == "toBoolean":  # TypeORM's OrmUtils.toBoolean, used for TYPEORM_* variables
        return value is True or value in ("true", "1") or (isinstance(value, (int, float)) and value > 0)
    if function == "JSON.parse":
        try:
            return json.loads(str(value))
        except ValueError:
            return math.nan
    if function in ("int", "float"):  # Python's: strict, unlike parseInt
        return _python_number(function, value)
    if function in ("floor", "ceil"):  # math.floor / math.ceil of a number
        number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else math.nan
        return number if math.isnan(number) or math.isinf(number) else getattr(math, function)(number)
    if function == "Boolean":
        return truthy(value)
    if function == "String":
        return "undefined" if value is UNDEFINED else str(value)
    if value is UNDEFINED or value is None:
        return math.nan if function != "Number" or value is UNDEFINED else 0
    if isinstance(value, bool):
        return int(value) if function == "Number" else math.nan
    if isinstance(value, (int, float)):
        return int(value) if function == "parseInt" and not math.isnan(value) else value
    text = str(value)
    if function == "parseInt":
        match = _LEADING_INT.match(text)
        return int(match.group(1)) if match else math.nan
    match = _LEADING_FLOAT.fullmatch(text.strip()) if function == "Number" else _LEADING_FLOAT.match(text)
    if function == "Number" and text.strip() == "":
        return 0
    if not match:
        return math.nan
    number = float(match.group(1))
    return int(number) if number.is_integer() else number
