"""CQL2 text as CQL2 1.0 writes it: pygeofilter 0.4's grammar with what it lacks added.

pygeofilter 0.4 reads temporal predicates only in an infix form of its own (`a T_BEFORE b`),
has no `INTERVAL` with dates, `'..'` or properties, and no `%`, `div` or `^`. Its grammar is
loaded as it is and extended here (Lark's `%extend`/`%override`), and its transformer is reused,
so the grammar we own is the few rules below (decision 0024):

- `T_<name>(a, b)` and `A_<name>(a, b)` as predicates: ast.Function(<name in lower case>, [a, b])
  (pygeofilter maps `t_intersects` to its TimeOverlaps; the writer reads the name instead);
- `INTERVAL(start, end)`, each end a date, a timestamp, `'..'` or a property:
  ast.Function("interval", [start, end]) with None for `'..'`;
- `TRUE` and `FALSE` as conditions; `''` and backslash escapes in character literals;
  `POINT Z (...)` and the other WKT types with `Z` (the Z is dropped before parsing);
- an array `(a, b, ...)` (CQL2 1.0 text) as ast.Function("array", [a, b, ...]);
- `a % b`, `a div b`, `a ^ b` as ast.Function("%" | "div" | "^", [a, b]) and `-property` as
  `0 - property`.
"""

from __future__ import annotations

import re
from pathlib import Path

from lark import Lark, v_args
from pygeofilter import ast
from pygeofilter.parsers.cql2_text import parser as pygeofilter_text

_GRAMMAR = Path(pygeofilter_text.__file__).with_name("grammar.lark")
#: CQL2 1.0's temporal and array functions (cql2.bnf `temporalFunction`, `arrayFunction`).
TEMPORAL_FUNCTIONS = (
    "t_after",
    "t_before",
    "t_contains",
    "t_disjoint",
    "t_during",
    "t_equals",
    "t_finishedby",
    "t_finishes",
    "t_intersects",
    "t_meets",
    "t_metby",
    "t_overlappedby",
    "t_overlaps",
    "t_startedby",
    "t_starts",
)
ARRAY_FUNCTIONS = ("a_equals", "a_contains", "a_containedby", "a_overlaps")
ARITHMETIC_FUNCTIONS = ("%", "div", "^")

_ADDITIONS = r"""
%extend predicate: CQL2_FUNCTION "(" expression "," expression ")" -> cql2_function

%override interval: "INTERVAL"i "(" interval_end "," interval_end ")"
?interval_end: "'" DATETIME "'"
             | "'" DATE "'"
             | OPEN_END
             | attribute
OPEN_END: "'..'"

%override ?product: power
                 | product "*" power -> mul
                 | product "/" power -> div
                 | product "%" power -> mod
                 | product "div"i power -> intdiv
?power: atom
      | atom "^" atom -> pow

%extend atom: "(" expression ("," expression)+ ")" -> array
            | "(" ")" -> array

%extend predicate: BOOLEAN_CONDITION -> boolean_literal
// A TRUE or FALSE that ends a condition: a separate terminal, so `(TRUE)` is not ambiguous.
BOOLEAN_CONDITION.3: /(TRUE|FALSE)(?=\s*(\)|$|AND\b|OR\b))/i

%override SINGLE_QUOTED: /'(?:[^'\\]|''|\\.)*'/s
"""
_ESCAPES = {
    "''": "'",
    "\\'": "'",
    "\\a": "\a",
    "\\b": "\b",
    "\\t": "\t",
    "\\n": "\n",
    "\\v": "\v",
    "\\f": "\f",
    "\\r": "\r",
}
_ESCAPE = re.compile("|".join(re.escape(sequence) for sequence in _ESCAPES))
# `POINT Z (...)`: pygeofilter's WKT has no Z marker; the coordinates say how many axes.
_WKT_Z = re.compile(
    r"\b(POINT|LINESTRING|POLYGON|MULTIPOINT|MULTILINESTRING|MULTIPOLYGON|GEOMETRYCOLLECTION)"
    r"\s+Z\s*\(",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"('(?:[^'\\]|''|\\.)*')", re.DOTALL)
_FUNCTION_TERMINAL = "CQL2_FUNCTION.3: /({names})(?=\\s*\\()/i\n".format(
    names="|".join(name.upper() for name in (*TEMPORAL_FUNCTIONS, *ARRAY_FUNCTIONS))
)


@v_args(meta=False, inline=True)
class _Transformer(pygeofilter_text.CQLTransformer):
    def cql2_function(self, name, lhs, rhs):
        return ast.Function(str(name).lower(), [lhs, rhs])

    def interval(self, start, end):
        return ast.Function("interval", [start, end])

    def OPEN_END(self, _token):
        return None

    def boolean_literal(self, token):
        return str(token).upper() == "TRUE"

    def SINGLE_QUOTED(self, token):
        r"""CQL2 1.0 escaping: '' and \\' are a quote, \\a .. \\r control characters.

        Other backslash pairs (\\%, \\_, \\\\) stay as written: LIKE reads them as escapes.
        """
        return _ESCAPE.sub(lambda m: _ESCAPES[m.group(0)], token[1:-1])

    def array(self, *items):
        return ast.Function("array", list(items))

    def mod(self, lhs, rhs):
        return ast.Function("%", [lhs, rhs])

    def intdiv(self, lhs, rhs):
        return ast.Function("div", [lhs, rhs])

    def pow(self, lhs, rhs):
        return ast.Function("^", [lhs, rhs])

    def neg(self, value):
        if isinstance(value, int | float) and not isinstance(value, bool):
            return -value
        return ast.Sub(0, value)


_parser = Lark(
    _GRAMMAR.read_text(encoding="utf-8") + _ADDITIONS + _FUNCTION_TERMINAL,
    parser="lalr",
    maybe_placeholders=False,
    transformer=_Transformer(),
    import_paths=[str(_GRAMMAR.parent.parent)],
    source_path=str(_GRAMMAR),
)


def cql2_text_parse(text: str) -> ast.Node:
    """The filter's tree; Lark's errors for text it cannot read."""
    parts = _QUOTED.split(text)  # odd parts are character literals: left as they are
    text = "".join(p if i % 2 else _WKT_Z.sub(r"\1(", p) for i, p in enumerate(parts))
    return _parser.parse(text)
