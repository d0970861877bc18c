"""The position-tracking JSON reader and the template expression language."""

import pytest

from lb6.model.importers.expressions import (
    Context, ExprError, evaluate_string, resource_id, unique_string)
from lb6.model.importers.jsonpos import JsonProblem, load_json


def test_json_lines_of_values_with_comments():
    doc = load_json('{\n  // a comment\n  "a": [1,\n    {"b": "x"}],\n  /* c */ "c": null\n}')
    assert doc.data == {"a": [1, {"b": "x"}], "c": None}
    assert doc.line_of(("a", 1, "b")) == 4
    assert doc.line_of(("c",)) == 5
    assert doc.line_of(("a", 1, "missing")) == 4  # nearest ancestor


@pytest.mark.parametrize("text, line, words", [
    ('{\n "a": 1\n "b": 2\n}', 3, "expected ',' or '}'"),
    ('{\n "a": "open\n}', 2, "string runs past"),
    ('{"a": 1, "a": 2}', 1, "duplicate property 'a'"),
    ('{\n "a": tru\n}', 2, "expected a value"),
    ('{"a": 1} extra', 1, "after the end"),
])
def test_json_syntax_errors_name_the_line(text, line, words):
    with pytest.raises(JsonProblem) as info:
        load_json(text)
    assert info.value.problem.line == line
    assert words in info.value.problem.message


def ctx(copy=None):
    params = {"name": "Web", "count": 2}
    variables = {"lbID": resource_id("Microsoft.Network/loadBalancers", "lb")}

    def reference(target, full):
        if target != "pip":
            raise ExprError("no such resource")
        return {"dnsSettings": {"fqdn": "web.westus.cloudapp.azure.com"}}
    return Context(params.__getitem__, variables.__getitem__, reference, "westus", copy)


@pytest.mark.parametrize("expr, expected", [
    ("[concat(variables('lbID'), '/backendAddressPools/pool')]",
     "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/lb6-resource-group/"
     "providers/Microsoft.Network/loadBalancers/lb/backendAddressPools/pool"),
    ("[resourceId('Microsoft.Network/loadBalancers/probes', 'lb', 'p')]",
     "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/lb6-resource-group/"
     "providers/Microsoft.Network/loadBalancers/lb/probes/p"),
    ("[toLower(parameters('name'))]", "web"),
    ("[format('{0}-vm{1}', parameters('name'), add(copyIndex(), 1))]", "Web-vm2"),
    ("[string(int('42'))]", "42"),
    ("[if(equals(parameters('count'), 2), 'two', 'other')]", "two"),
    ("[length(concat(createArray(1), createArray(2, 3)))]", 3),
    ("[resourceGroup().location]", "westus"),
    ("[reference('pip').dnsSettings.fqdn]", "web.westus.cloudapp.azure.com"),
    ("[copyIndex('loop', 10)]", 11),
    ("[[not an expression]", "[not an expression]"),
    ("plain text", "plain text"),
])
def test_expressions(expr, expected):
    assert evaluate_string(expr, ctx({"": 1, "loop": 1})) == expected


def test_if_does_not_evaluate_the_branch_not_taken():
    assert evaluate_string("[if(true(), 'a', unknownThing())]", ctx()) == "a"


@pytest.mark.parametrize("expr, words", [
    ("[listKeys('x', '2019-01-01')]", "unknown function 'listKeys()'"),
    ("[concat('a)]", "never closed"),
    ("[copyIndex()]", "outside a copy loop"),
    ("[add(1)]", "wrong number of arguments"),
    ("[reference('pip').missing]", "no property 'missing'"),
])
def test_expression_errors_say_what_is_wrong(expr, words):
    with pytest.raises(ExprError) as info:
        evaluate_string(expr, ctx())
    assert words in str(info.value)


def test_unique_string_is_deterministic_13_chars():
    a = unique_string("/subscriptions/x/resourceGroups/y")
    assert a == unique_string("/subscriptions/x/resourceGroups/y")
    assert len(a) == 13 and a.isalnum() and a.islower()
    assert a != unique_string("other")


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcfnotuLrw()[],.'0123 _-", max_size=40))
def test_any_expression_text_gives_a_value_or_an_expr_error(body):
    try:
        evaluate_string(f"[{body}]", ctx({"": 0}))
    except ExprError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet='{}[]":,0123 \nabtrue/*-', max_size=60))
def test_any_json_text_parses_or_names_a_line(text):
    try:
        load_json(text)
    except JsonProblem as exc:
        assert exc.problem.line is not None
