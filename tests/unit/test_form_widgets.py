"""The forms' one-pass `<select>` draws exactly what WTForms' own widget draws, for any choices,
labels, selection, attributes and flags, and leaves to that widget what it does not handle."""

from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup
from wtforms import Form, SelectField, SelectMultipleField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Optional

from outlet_audit.core import forms as core_forms
from outlet_audit.core.forms import BaseForm, OnePassSelectMeta, PlainBaseForm, one_pass_select

text = st.text(max_size=12)  # quotes, ampersands, angle brackets, any script
values = st.one_of(text, st.integers(-5, 99), st.booleans(), st.none())
labels = st.one_of(text, st.none(), st.builds(Markup, text))
attributes = st.dictionaries(
    st.sampled_from(["class_", "data_role", "aria_label", "title", "disabled", "required", "style"]),
    st.one_of(text, st.booleans()),
    max_size=4,
)


def _forms(choices, data, required: bool, render_kw):
    """The same field in a stock WTForms form and in one of ours."""
    validators = [InputRequired()] if required else [Optional()]

    class Stock(Form):
        pick = SelectField(choices=choices, validators=validators, render_kw=render_kw)

    class Ours(Form):  # the drawing alone (the project's forms also clean what they are given)
        class Meta(OnePassSelectMeta):
            pass

        pick = SelectField(choices=choices, validators=validators, render_kw=render_kw)

    return Stock(data={"pick": data}), Ours(data={"pick": data})


@settings(max_examples=300, deadline=None)
@given(
    choices=st.lists(st.builds(SelectChoice, values, labels), max_size=8),
    picked=st.integers(0, 9),
    required=st.booleans(),
    field_kw=st.one_of(st.none(), attributes),
    call_kw=attributes,
)
def test_a_select_is_drawn_as_wtforms_draws_it(choices, picked, required, field_kw, call_kw):
    data = choices[picked].value if picked < len(choices) else "absent"
    stock, ours = _forms(choices, data, required, field_kw)
    assert str(ours.pick(**call_kw)) == str(stock.pick(**call_kw))


PLAIN = [SelectChoice("a", "A"), SelectChoice("b", "B")]
GROUPED = [SelectChoice("a", "A", optgroup="Group"), SelectChoice("b", "B", optgroup="Other")]
OWN_ATTRIBUTES = [SelectChoice("a", "A", render_kw={"data-x": "1"}), SelectChoice("b", "B")]


def test_what_it_does_not_handle_goes_to_the_wtforms_widget(monkeypatch):
    drawn = []
    real = core_forms.one_pass_select
    monkeypatch.setattr(
        core_forms, "one_pass_select", lambda field, **kw: drawn.append(field.name) or real(field, **kw)
    )

    class Ours(PlainBaseForm):
        plain = SelectField(choices=PLAIN)
        grouped = SelectField(choices=GROUPED)
        own_attributes = SelectField(choices=OWN_ATTRIBUTES)
        several = SelectMultipleField(choices=PLAIN)

    class Stock(Form):
        plain = SelectField(choices=PLAIN)
        grouped = SelectField(choices=GROUPED)
        own_attributes = SelectField(choices=OWN_ATTRIBUTES)
        several = SelectMultipleField(choices=PLAIN)

    ours, stock = Ours(data={"several": ["b"]}), Stock(data={"several": ["b"]})
    for name in ("plain", "grouped", "own_attributes", "several"):
        assert str(ours[name]()) == str(stock[name]())
    assert '<optgroup label="Group">' in str(ours.grouped())
    assert 'data-x="1"' in str(ours.own_attributes())
    assert "multiple" in str(ours.several())
    # drawn in one pass: the plain list; asked and declined: the grouped and the one with attributes
    assert drawn.count("plain") == 1 and "several" not in drawn
    assert one_pass_select(ours.grouped) is None and one_pass_select(ours.own_attributes) is None


def test_a_label_or_value_is_escaped():
    class Ours(PlainBaseForm):
        pick = SelectField(choices=[SelectChoice('"><script>x</script>', "<b>&</b>")])

    html = str(Ours().pick())
    assert "<script>" not in html and "<b>" not in html
    assert 'value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in html
    assert "&lt;b&gt;&amp;&lt;/b&gt;" in html


def test_every_form_of_the_project_draws_its_lists_in_one_pass():
    assert issubclass(BaseForm.Meta, OnePassSelectMeta) and issubclass(PlainBaseForm.Meta, OnePassSelectMeta)
