"""One flow per lifecycle event, generated from the transition table (``states.lifecycle``).

Each flow's parameters are ``ref``, ``actor``, ``role`` and the fields of the event's
payload model, typed and titled, so that the Prefect UI's run form shows real fields
(text boxes, lists, date pickers, drop-downs) with Chinese labels instead of a JSON box.
Every flow goes the same way as ``transition``: ``flows.lifecycle.fire_event``.

The flows are module attributes named after their event (``flows.actions.accept``), so
that ``prefect deploy`` and a worker can load them from their entrypoint.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any, Literal

from prefect import Flow, flow
from pydantic import BaseModel, Field, TypeAdapter, WithJsonSchema
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined, to_jsonable_python

from flows.forms import describe_nested, field_description
from flows.lifecycle import ROLE_HELP, fire_event
from states.lifecycle import EVENTS, STATE_ZH, Role, Rule, rules_for

KW = inspect.Parameter.KEYWORD_ONLY
ROLE_ZH = {
    Role.operator: "承办单位经办人",
    Role.coordinator: "督改办",
    Role.acceptance_group: "验收组",
    Role.review_group: "市级复核工作组",
    Role.discipline: "纪委监委",
    Role.system: "系统",
}
# In the order a form offers them: the lead unit's staff first.
PERSON_ROLES = ("operator", "coordinator", "acceptance_group", "review_group", "discipline")


def flow_name(event: str) -> str:
    """The flow and deployment name of an event: ``request_acceptance`` → ``request-acceptance``."""
    return event.replace("_", "-")


def _param(name: str, annotation: Any, default: Any, title: str, description: str) -> Any:
    field = Field(
        default if default is not inspect.Parameter.empty else ...,
        description=description,
        # Prefect titles a parameter with its name; a title in the extra wins.
        json_schema_extra={"title": title},
    )
    return inspect.Parameter(name, KW, annotation=annotation, default=field)


def _annotation(info: FieldInfo) -> Any:
    """The field's type with its constraints; nested models inlined and described in Chinese."""
    annotation: Any = info.annotation
    if info.metadata:
        annotation = Annotated[(annotation, *info.metadata)]
    schema = TypeAdapter(annotation).json_schema(ref_template="#/$defs/{model}")
    if "$defs" in schema or "$ref" in schema:
        annotation = Annotated[annotation, WithJsonSchema(describe_nested(schema))]
    return annotation


def _default(info: FieldInfo) -> Any:
    if info.default_factory is not None:
        return info.default_factory()  # type: ignore[call-arg]
    if info.default is PydanticUndefined:
        return inspect.Parameter.empty
    return info.default


def _roles_of(event: str) -> tuple[str, ...]:
    allowed = {r.value for rule in rules_for(event) for r in rule.roles}
    return tuple(r for r in PERSON_ROLES if r in allowed) or PERSON_ROLES


def signature(event: str) -> inspect.Signature:
    """``ref, actor, role`` and the payload's fields, each with a title and a description."""
    rule = rules_for(event)[0]
    allowed = _roles_of(event)
    role_help = "、".join(f"{r} {ROLE_ZH[Role(r)]}" for r in allowed)
    params = [
        _param("ref", str, inspect.Parameter.empty, "事项编号", "受理编号、任务编号或 #id"),
        _param("actor", str, inspect.Parameter.empty, "操作人", "操作人姓名及单位，记入历史"),
        _param(
            "role",
            Literal[PERSON_ROLES],
            allowed[0],
            "角色",
            f"以何种角色执行；可执行本事件的角色：{role_help}（全部角色：{ROLE_HELP}）",
        ),
    ]
    for name, info in rule.payload.model_fields.items():
        title = info.title or name
        params.append(
            _param(
                name,
                _annotation(info),
                _default(info),
                title,
                field_description(rule.payload.__name__, name, info),
            )
        )
    return inspect.Signature(params)


def payload_data(model: type[BaseModel], given: dict[str, Any]) -> dict[str, Any]:
    """The event's data as JSON: only the fields given a value other than their default."""
    data: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        if name not in given:
            continue
        value = given[name]
        default = _default(info)
        if default is not inspect.Parameter.empty and value == default:
            continue
        data[name] = to_jsonable_python(value)
    return data


def _describe(rules: tuple[Rule, ...]) -> str:
    rule = rules[0]
    moves = []
    for r in rules:
        src = "、".join(STATE_ZH[s] for s in r.sources)
        moves.append(f"{src} → {STATE_ZH[r.dest]}" if r.dest else f"{src}（状态不变）")
    return f"{rule.zh}（{rule.event}）：{'；'.join(moves)}。"


def make_flow(event: str) -> Flow[..., dict[str, Any]]:
    """The flow of one event, named after it with dashes."""
    rules = rules_for(event)
    model = rules[0].payload

    def run(**params: Any) -> dict[str, Any]:
        ref, actor, role = params.pop("ref"), params.pop("actor"), params.pop("role")
        data = payload_data(model, params)
        return fire_event(ref, event, actor=actor, role=role, data=data, key=None)

    run.__signature__ = signature(event)  # type: ignore[attr-defined]
    run.__name__ = run.__qualname__ = event
    run.__module__ = __name__
    run.__doc__ = _describe(rules)
    decorate: Callable[..., Flow[..., dict[str, Any]]] = flow(
        name=flow_name(event),
        flow_run_name="{ref}·" + event,
        description=_describe(rules),
        log_prints=False,
    )
    return decorate(run)


FLOWS: dict[str, Flow[..., dict[str, Any]]] = {event: make_flow(event) for event in EVENTS}
globals().update(FLOWS)  # flows.actions.accept, … for entrypoints
