"""Discord's payload limits, checked the way Discord checks them.

Each check returns a list of :class:`RuleError`. The server turns them into violations (so the test
fails) *and* into the same HTTP 400 Discord would send (so the bot sees what production would do):
``{"code": 50035, "message": "Invalid Form Body", "errors": {...nested by path...}}``.

Limits are from the Discord API reference (messages, embeds, components, autocomplete, modals,
application commands). Only limits a bot can realistically hit are checked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .models import FLAG_IS_COMPONENTS_V2, walk_components

Path = tuple[str | int, ...]

INVALID_FORM_BODY = 50035
EMPTY_MESSAGE = 50006

CONTENT_MAX = 2000
EMBEDS_MAX = 10
EMBED_TITLE_MAX = 256
EMBED_DESCRIPTION_MAX = 4096
EMBED_FIELDS_MAX = 25
EMBED_FIELD_NAME_MAX = 256
EMBED_FIELD_VALUE_MAX = 1024
EMBED_FOOTER_MAX = 2048
EMBED_AUTHOR_MAX = 256
EMBED_TOTAL_MAX = 6000
# Each text of an embed and its limit, by where it is ("footer.text": embed["footer"]["text"]).
EMBED_TEXT_MAX = {
    "title": EMBED_TITLE_MAX,
    "description": EMBED_DESCRIPTION_MAX,
    "field.name": EMBED_FIELD_NAME_MAX,
    "field.value": EMBED_FIELD_VALUE_MAX,
    "footer.text": EMBED_FOOTER_MAX,
    "author.name": EMBED_AUTHOR_MAX,
}
ACTION_ROWS_MAX = 5
ROW_BUTTONS_MAX = 5
CUSTOM_ID_MAX = 100
BUTTON_LABEL_MAX = 80
BUTTON_URL_MAX = 512
SELECT_OPTIONS_MAX = 25
SELECT_PLACEHOLDER_MAX = 150
SELECT_OPTION_TEXT_MAX = 100
V2_COMPONENTS_MAX = 40
V2_TEXT_MAX = 4000
CHOICES_MAX = 25
CHOICE_TEXT_MAX = 100
MODAL_TITLE_MAX = 45
MODAL_COMPONENTS_MAX = 5
TEXT_INPUT_LABEL_MAX = 45
TEXT_INPUT_VALUE_MAX = 4000
COMMAND_NAME_RE = re.compile(r"^[-_'\w]{1,32}$", re.UNICODE)
COMMAND_DESCRIPTION_MAX = 100
COMMAND_OPTIONS_MAX = 25
CHAT_INPUT_COMMANDS_MAX = 100
CONTEXT_MENU_COMMANDS_MAX = 15
# Where a command is offered: interaction context types (GUILD, BOT_DM, PRIVATE_CHANNEL) and
# installation (integration) types (GUILD_INSTALL, USER_INSTALL), as Discord numbers them.
CONTEXT_GUILD, CONTEXT_BOT_DM, CONTEXT_PRIVATE_CHANNEL = 0, 1, 2
GUILD_INSTALL, USER_INSTALL = 0, 1

SELECT_TYPES = frozenset({3, 5, 6, 7, 8})


@dataclass(frozen=True)
class RuleError:
    """One broken limit: ``rule`` names it for tests, ``code``/``message`` are what Discord says."""

    rule: str
    path: Path
    code: str
    message: str
    discord_code: int = INVALID_FORM_BODY

    def describe(self) -> str:
        where = ".".join(str(p) for p in self.path) or "<body>"
        return f"{where}: {self.message}"


def error_body(errors: list[RuleError]) -> dict[str, Any]:
    """The JSON body of Discord's 400 answer for these errors."""
    special = [e for e in errors if e.discord_code != INVALID_FORM_BODY]
    if special:
        return {"message": special[0].message, "code": special[0].discord_code}
    nested: dict[str, Any] = {}
    for err in errors:
        node = nested
        for part in err.path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": err.code, "message": err.message})
    return {"message": "Invalid Form Body", "code": INVALID_FORM_BODY, "errors": nested}


def _too_long(errors: list[RuleError], rule: str, path: Path, value: Any, limit: int) -> None:
    if isinstance(value, str):
        _over_limit(errors, rule, path, len(value), limit)


def _too_many(errors: list[RuleError], rule: str, path: Path, value: Any, limit: int) -> None:
    if isinstance(value, list):
        _over_limit(errors, rule, path, len(value), limit)


def _over_limit(errors: list[RuleError], rule: str, path: Path, size: int, limit: int) -> None:
    """Discord says the same of a string too long and of a list with too many items."""
    if size > limit:
        message = f"Must be {limit} or fewer in length (got {size})."
        errors.append(RuleError(rule, path, "BASE_TYPE_MAX_LENGTH", message))


def _required(errors: list[RuleError], rule: str, path: Path, value: Any) -> None:
    if value is None or value == "":
        errors.append(RuleError(rule, path, "BASE_TYPE_REQUIRED", "This field is required"))


def _not_empty(errors: list[RuleError], rule: str, path: Path, items: list[Any]) -> None:
    if not items:
        errors.append(RuleError(rule, path, "BASE_TYPE_MIN_LENGTH", "Must be 1 or more in length."))


# ---------------------------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------------------------


def trimmed(value: Any) -> Any:
    """An embed text as Discord measures it: "Leading and trailing whitespace characters are
    not included (they are trimmed automatically)", for the limits and for being empty."""
    return value.strip() if isinstance(value, str) else value


def embed_length(embed: dict[str, Any]) -> int:
    """Characters that count towards the 6000-per-message total (Discord's definition)."""
    total = len(trimmed(embed.get("title") or "")) + len(trimmed(embed.get("description") or ""))
    for fld in embed.get("fields") or []:
        total += len(trimmed(fld.get("name") or "")) + len(trimmed(fld.get("value") or ""))
    total += len(trimmed((embed.get("footer") or {}).get("text") or ""))
    total += len(trimmed((embed.get("author") or {}).get("name") or ""))
    return total


EMBED_URL_MAX = 2048
_HOST = re.compile(r"[\w-]+(?:\.[\w-]+)*\.?|\[[0-9A-Fa-f:.]+\]")


def well_formed_url(url: str) -> bool:
    """What Discord takes as an embed's link: http(s), a host, a port that reads, nothing
    a URL cannot hold. Anything else fails the whole message: "Not a well formed URL."."""
    if any(c.isspace() or c in '<>"`' for c in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is no number or out of range
        host = parts.netloc.rpartition("@")[2].rsplit(":", 1)[0] if parts.port else parts.netloc
        host = host.rpartition("@")[2].encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return False
    return parts.scheme in ("http", "https") and bool(_HOST.fullmatch(host))


def _check_url(errors: list[RuleError], path: Path, url: Any) -> None:
    if not isinstance(url, str):
        return
    _too_long(errors, "embed.url.length", path, url, EMBED_URL_MAX)
    if not well_formed_url(url):
        errors.append(
            RuleError("embed.url.format", path, "URL_TYPE_INVALID_URL", "Not a well formed URL.")
        )


def check_embeds(embeds: Any, path: Path) -> list[RuleError]:
    errors: list[RuleError] = []
    if not isinstance(embeds, list):
        return errors
    _too_many(errors, "embeds.count", path, embeds, EMBEDS_MAX)
    for index, embed in enumerate(embeds):
        if not isinstance(embed, dict):
            continue
        here = (*path, index)
        _check_url(errors, (*here, "url"), embed.get("url"))
        for head in ("title", "description"):
            limit = EMBED_TEXT_MAX[head]
            text = trimmed(embed.get(head))
            _too_long(errors, f"embed.{head}.length", (*here, head), text, limit)
        fields = embed.get("fields") or []
        _too_many(errors, "embed.fields.count", (*here, "fields"), fields, EMBED_FIELDS_MAX)
        for f_index, fld in enumerate(fields):
            f_path = (*here, "fields", f_index)
            for part in ("name", "value"):
                text = trimmed(fld.get(part))
                _required(errors, f"embed.field.{part}.required", (*f_path, part), text)
                limit = EMBED_TEXT_MAX[f"field.{part}"]
                _too_long(errors, f"embed.field.{part}.length", (*f_path, part), text, limit)
        for foot in ("footer.text", "author.name"):
            outer, inner = foot.split(".")
            if isinstance(embed.get(outer), dict):  # a footer or author needs its text
                text = trimmed(embed[outer].get(inner))
                _required(errors, f"embed.{foot}.required", (*here, outer, inner), text)
                limit = EMBED_TEXT_MAX[foot]
                _too_long(errors, f"embed.{foot}.length", (*here, outer, inner), text, limit)
    total = sum(embed_length(e) for e in embeds if isinstance(e, dict))
    if total > EMBED_TOTAL_MAX:
        errors.append(
            RuleError(
                "embeds.total_length",
                path,
                "MAX_EMBED_SIZE_EXCEEDED",
                f"Embed size exceeds maximum size of {EMBED_TOTAL_MAX} (got {total}).",
            )
        )
    return errors


def _check_interactive(
    errors: list[RuleError], component: dict[str, Any], path: Path, seen: set[str]
) -> None:
    """custom_id/label rules shared by buttons and selects, classic or v2."""
    ctype = component.get("type")
    custom_id = component.get("custom_id")
    if ctype == 2:
        style = component.get("style")
        if style == 5:
            _required(errors, "component.url.required", (*path, "url"), component.get("url"))
            _too_long(
                errors, "component.url.length", (*path, "url"), component.get("url"), BUTTON_URL_MAX
            )
            if custom_id is not None:
                errors.append(
                    RuleError(
                        "component.link.custom_id",
                        (*path, "custom_id"),
                        "BUTTON_LINK_CUSTOM_ID",
                        "A link button cannot have a custom_id",
                    )
                )
            custom_id = None
        elif style != 6:
            _required(errors, "component.custom_id.required", (*path, "custom_id"), custom_id)
        _too_long(
            errors,
            "component.label.length",
            (*path, "label"),
            component.get("label"),
            BUTTON_LABEL_MAX,
        )
        if not component.get("label") and not component.get("emoji"):
            errors.append(
                RuleError(
                    "component.label.required",
                    (*path, "label"),
                    "BUTTON_LABEL_OR_EMOJI_REQUIRED",
                    "A button needs a label or an emoji",
                )
            )
    elif ctype in SELECT_TYPES:
        _required(errors, "component.custom_id.required", (*path, "custom_id"), custom_id)
        _too_long(
            errors,
            "component.placeholder.length",
            (*path, "placeholder"),
            component.get("placeholder"),
            SELECT_PLACEHOLDER_MAX,
        )
        if ctype == 3:
            options = component.get("options") or []
            _not_empty(errors, "component.select.options.empty", (*path, "options"), options)
            _too_many(
                errors,
                "component.select.options.count",
                (*path, "options"),
                options,
                SELECT_OPTIONS_MAX,
            )
            for o_index, option in enumerate(options):
                for key in ("label", "value", "description"):
                    _too_long(
                        errors,
                        f"component.select.option.{key}.length",
                        (*path, "options", o_index, key),
                        option.get(key),
                        SELECT_OPTION_TEXT_MAX,
                    )
    else:
        return
    if custom_id is not None:
        _too_long(
            errors, "component.custom_id.length", (*path, "custom_id"), custom_id, CUSTOM_ID_MAX
        )
        if custom_id in seen:
            errors.append(
                RuleError(
                    "component.custom_id.duplicate",
                    (*path, "custom_id"),
                    "COMPONENT_CUSTOM_ID_DUPLICATED",
                    f"Component custom id cannot be duplicated ({custom_id!r})",
                )
            )
        seen.add(custom_id)


def check_components(components: Any, path: Path, *, v2: bool) -> list[RuleError]:
    errors: list[RuleError] = []
    if not isinstance(components, list):
        return errors
    seen: set[str] = set()
    if v2:
        everything = list(walk_components(components))
        if len(everything) > V2_COMPONENTS_MAX:
            errors.append(
                RuleError(
                    "components.total",
                    path,
                    "BASE_TYPE_MAX_LENGTH",
                    f"Must be {V2_COMPONENTS_MAX} or fewer components (got {len(everything)}).",
                )
            )
        text = sum(len(c.get("content") or "") for c in everything if c.get("type") == 10)
        if text > V2_TEXT_MAX:
            errors.append(
                RuleError(
                    "components.text_length",
                    path,
                    "BASE_TYPE_MAX_LENGTH",
                    f"Text displays must total {V2_TEXT_MAX} or fewer characters (got {text}).",
                )
            )
        for index, component in enumerate(everything):
            _check_interactive(errors, component, (*path, index), seen)
        return errors

    _too_many(errors, "components.rows", path, components, ACTION_ROWS_MAX)
    for r_index, row in enumerate(components):
        r_path = (*path, r_index)
        if not isinstance(row, dict) or row.get("type") != 1:
            errors.append(
                RuleError(
                    "components.row.type",
                    (*r_path, "type"),
                    "UNION_TYPE_CHOICES",
                    "Top-level components must be action rows (type 1) without IS_COMPONENTS_V2",
                )
            )
            continue
        children = row.get("components") or []
        _not_empty(errors, "components.row.empty", (*r_path, "components"), children)
        _too_many(
            errors, "components.row.buttons", (*r_path, "components"), children, ROW_BUTTONS_MAX
        )
        if len(children) > 1 and any(c.get("type") in SELECT_TYPES for c in children):
            errors.append(
                RuleError(
                    "components.row.width",
                    (*r_path, "components"),
                    "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                    "A select menu must be alone in its action row",
                )
            )
        for c_index, child in enumerate(children):
            _check_interactive(errors, child, (*r_path, "components", c_index), seen)
    return errors


def is_empty_message(payload: dict[str, Any], extra_files: int = 0) -> bool:
    # Discord trims a message's content too: "   " is no content ("Cannot send an empty
    # message", 50006).
    return not (
        trimmed(payload.get("content"))
        or payload.get("embeds")
        or payload.get("components")
        or payload.get("attachments")
        or payload.get("sticker_ids")
        or payload.get("poll")
        or extra_files
    )


def check_message(
    payload: Any, path: Path = (), *, creating: bool, files: int = 0, flags: int | None = None
) -> list[RuleError]:
    """Limits of a message create/edit body (also the ``data`` of callback types 4 and 7)."""
    errors: list[RuleError] = []
    if not isinstance(payload, dict):
        return [RuleError("message.body", path, "DICT_TYPE_CONVERT", "Must be a JSON object")]
    effective_flags = int(payload.get("flags") or 0) if flags is None else flags
    v2 = bool(effective_flags & FLAG_IS_COMPONENTS_V2)
    _too_long(errors, "content.length", (*path, "content"), payload.get("content"), CONTENT_MAX)
    errors.extend(check_embeds(payload.get("embeds"), (*path, "embeds")))
    errors.extend(check_components(payload.get("components"), (*path, "components"), v2=v2))
    if v2 and (payload.get("content") or payload.get("embeds")):
        errors.append(
            RuleError(
                "components.v2.content",
                path,
                "MESSAGE_CANNOT_USE_LEGACY_FIELDS_WITH_COMPONENTS_V2",
                "content and embeds cannot be used with the IS_COMPONENTS_V2 flag",
            )
        )
    if creating and is_empty_message(payload, files):
        errors.append(
            RuleError(
                "message.empty",
                path,
                "EMPTY_MESSAGE",
                "Cannot send an empty message",
                discord_code=EMPTY_MESSAGE,
            )
        )
    return errors


# ---------------------------------------------------------------------------------------------
# Autocomplete, modals
# ---------------------------------------------------------------------------------------------


def check_choices(data: Any, path: Path = ("data",)) -> list[RuleError]:
    errors: list[RuleError] = []
    choices = (data or {}).get("choices")
    if not isinstance(choices, list):
        return [
            RuleError(
                "autocomplete.choices.required",
                (*path, "choices"),
                "BASE_TYPE_REQUIRED",
                "This field is required",
            )
        ]
    _too_many(errors, "autocomplete.choices.count", (*path, "choices"), choices, CHOICES_MAX)
    for index, choice in enumerate(choices):
        c_path = (*path, "choices", index)
        name = choice.get("name")
        _required(errors, "autocomplete.choice.name.required", (*c_path, "name"), name)
        _too_long(
            errors, "autocomplete.choice.name.length", (*c_path, "name"), name, CHOICE_TEXT_MAX
        )
        _too_long(
            errors,
            "autocomplete.choice.value.length",
            (*c_path, "value"),
            choice.get("value"),
            CHOICE_TEXT_MAX,
        )
    return errors


def check_modal(data: Any, path: Path = ("data",)) -> list[RuleError]:
    errors: list[RuleError] = []
    data = data or {}
    _required(errors, "modal.title.required", (*path, "title"), data.get("title"))
    _too_long(errors, "modal.title.length", (*path, "title"), data.get("title"), MODAL_TITLE_MAX)
    _required(errors, "modal.custom_id.required", (*path, "custom_id"), data.get("custom_id"))
    _too_long(
        errors, "modal.custom_id.length", (*path, "custom_id"), data.get("custom_id"), CUSTOM_ID_MAX
    )
    components = data.get("components") or []
    _not_empty(errors, "modal.components.empty", (*path, "components"), components)
    _too_many(
        errors, "modal.components.count", (*path, "components"), components, MODAL_COMPONENTS_MAX
    )
    for index, component in enumerate(walk_components(components)):
        if component.get("type") == 4:
            c_path = (*path, "components", index)
            _too_long(
                errors,
                "modal.text_input.label.length",
                (*c_path, "label"),
                component.get("label"),
                TEXT_INPUT_LABEL_MAX,
            )
            _too_long(
                errors,
                "modal.text_input.value.length",
                (*c_path, "value"),
                component.get("value"),
                TEXT_INPUT_VALUE_MAX,
            )
            _too_long(
                errors,
                "component.custom_id.length",
                (*c_path, "custom_id"),
                component.get("custom_id"),
                CUSTOM_ID_MAX,
            )
    return errors


# ---------------------------------------------------------------------------------------------
# Application commands
# ---------------------------------------------------------------------------------------------


def _check_option_list(errors: list[RuleError], options: Any, path: Path) -> None:
    if not isinstance(options, list):
        return
    _too_many(errors, "command.options.count", path, options, COMMAND_OPTIONS_MAX)
    seen_optional = False
    names: set[str] = set()
    for index, option in enumerate(options):
        o_path = (*path, index)
        name = option.get("name") or ""
        if not COMMAND_NAME_RE.match(name) or name != name.lower():
            errors.append(
                RuleError(
                    "command.option.name",
                    (*o_path, "name"),
                    "APPLICATION_COMMAND_INVALID_NAME",
                    f"Invalid option name {name!r}",
                )
            )
        if name in names:
            errors.append(
                RuleError(
                    "command.option.duplicate",
                    (*o_path, "name"),
                    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                    f"Option name {name!r} is used twice",
                )
            )
        names.add(name)
        description = option.get("description") or ""
        if not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX:
            errors.append(
                RuleError(
                    "command.option.description",
                    (*o_path, "description"),
                    "BASE_TYPE_BAD_LENGTH",
                    f"Must be between 1 and {COMMAND_DESCRIPTION_MAX} in length.",
                )
            )
        choices = option.get("choices") or []
        _too_many(
            errors, "command.option.choices.count", (*o_path, "choices"), choices, CHOICES_MAX
        )
        for c_index, choice in enumerate(choices):
            _too_long(
                errors,
                "command.option.choice.name.length",
                (*o_path, "choices", c_index, "name"),
                choice.get("name"),
                CHOICE_TEXT_MAX,
            )
            _too_long(
                errors,
                "command.option.choice.value.length",
                (*o_path, "choices", c_index, "value"),
                choice.get("value"),
                CHOICE_TEXT_MAX,
            )
        if option.get("type") in (1, 2):
            _check_option_list(errors, option.get("options") or [], (*o_path, "options"))
            continue
        if option.get("required"):
            if seen_optional:
                errors.append(
                    RuleError(
                        "command.option.required_order",
                        (*o_path, "required"),
                        "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                        "Required options must be placed before non-required options",
                    )
                )
        else:
            seen_optional = True


def _check_enum_list(
    errors: list[RuleError], rule: str, path: Path, values: Any, allowed: tuple[int, ...]
) -> None:
    """A list of one of Discord's enums (null: Discord's default), as `contexts` is."""
    if values is None:
        return
    if not isinstance(values, list):
        errors.append(RuleError(rule, path, "LIST_TYPE_CONVERT", "Must be an array"))
        return
    for index, value in enumerate(values):
        if isinstance(value, bool) or value not in allowed:
            message = f'Value "{value}" is not a valid enum value.'
            errors.append(RuleError(rule, (*path, index), "ENUM_TYPE_COERCE", message))


def check_commands(commands: Any) -> list[RuleError]:
    """Validation of a bulk-overwrite body, as Discord does it before accepting a sync."""
    if not isinstance(commands, list):
        return [RuleError("command.body", (), "LIST_TYPE_CONVERT", "Must be an array")]
    errors: list[RuleError] = []
    counts: dict[int, int] = {}
    seen: set[tuple[str, int]] = set()
    for index, command in enumerate(commands):
        path: Path = (index,)
        ctype = int(command.get("type") or 1)
        counts[ctype] = counts.get(ctype, 0) + 1
        name = command.get("name") or ""
        if ctype == 1:
            valid = bool(COMMAND_NAME_RE.match(name)) and name == name.lower()
        else:
            valid = 1 <= len(name) <= 32
        if not valid:
            errors.append(
                RuleError(
                    "command.name",
                    (*path, "name"),
                    "APPLICATION_COMMAND_INVALID_NAME",
                    f"Invalid command name {name!r}",
                )
            )
        if (name, ctype) in seen:
            errors.append(
                RuleError(
                    "command.duplicate",
                    (*path, "name"),
                    "APPLICATION_COMMANDS_DUPLICATE_NAME",
                    f"Application command names must be unique ({name!r})",
                )
            )
        seen.add((name, ctype))
        description = command.get("description") or ""
        if ctype == 1 and not 1 <= len(description) <= COMMAND_DESCRIPTION_MAX:
            errors.append(
                RuleError(
                    "command.description",
                    (*path, "description"),
                    "BASE_TYPE_BAD_LENGTH",
                    f"Must be between 1 and {COMMAND_DESCRIPTION_MAX} in length.",
                )
            )
        if ctype == 1:
            _check_option_list(errors, command.get("options") or [], (*path, "options"))
        _check_enum_list(
            errors,
            "command.contexts",
            (*path, "contexts"),
            command.get("contexts"),
            (CONTEXT_GUILD, CONTEXT_BOT_DM, CONTEXT_PRIVATE_CHANNEL),
        )
        _check_enum_list(
            errors,
            "command.integration_types",
            (*path, "integration_types"),
            command.get("integration_types"),
            (GUILD_INSTALL, USER_INSTALL),
        )
    if counts.get(1, 0) > CHAT_INPUT_COMMANDS_MAX:
        errors.append(
            RuleError(
                "command.count",
                (),
                "APPLICATION_COMMANDS_TOO_MANY",
                f"At most {CHAT_INPUT_COMMANDS_MAX} slash commands",
            )
        )
    for ctype in (2, 3):
        if counts.get(ctype, 0) > CONTEXT_MENU_COMMANDS_MAX:
            errors.append(
                RuleError(
                    "command.count",
                    (),
                    "APPLICATION_COMMANDS_TOO_MANY",
                    f"At most {CONTEXT_MENU_COMMANDS_MAX} context menu commands of type {ctype}",
                )
            )
    return errors
