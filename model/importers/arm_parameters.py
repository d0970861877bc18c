"""An ARM template's parameters: the values a parameters file gives, defaults, placeholders.

Values are checked against the declared type and `allowedValues`; a Key Vault reference or a
parameter with neither value nor default gets a placeholder and a note, so a template always
reads without its secrets.
"""

from __future__ import annotations

import re
from typing import Any

from ..errors import Path
from .arm_document import TemplateDocument, looks_like_template


class ParameterReader(TemplateDocument):
    """Reads the template's parameters into `param_values`, before any resource is evaluated."""

    def read_parameters(self) -> None:
        defs = self.doc.data.get("parameters") or {}
        if not isinstance(defs, dict):
            raise self.fail(("parameters",), "expected 'parameters' to be an object")
        self.param_defs = defs
        given: dict[str, tuple[Any, Path]] = {}
        if self.params_doc is not None:
            pdata = self.params_doc.data
            if not isinstance(pdata, dict):
                raise self.fail((), "expected a parameters file: an object with 'parameters'",
                                self.params_source, self.params_doc)
            if looks_like_template(pdata):
                raise self.fail((), "this is a template, not a parameters file; expected an "
                                "object with 'parameters' holding {\"value\": ...} entries",
                                self.params_source, self.params_doc)
            entries = pdata.get("parameters", pdata if "$schema" not in pdata else None)
            base = ("parameters",) if "parameters" in pdata else ()
            if not isinstance(entries, dict):
                raise self.fail(base, "expected 'parameters' to be an object of "
                                "{\"value\": ...} entries", self.params_source, self.params_doc)
            for name, entry in entries.items():
                key = next((k for k in defs if k.lower() == name.lower()), None)
                if key is None:
                    raise self.fail(base + (name,), f"parameter '{name}' is not declared by the "
                                    f"template (declared: {', '.join(defs) or 'none'})",
                                    self.params_source, self.params_doc)
                if isinstance(entry, dict) and "value" in entry:
                    given[key] = (entry["value"], base + (name, "value"))
                elif isinstance(entry, dict) and "reference" in entry:
                    given[key] = (f"keyvault-{name.lower()}", base + (name,))
                    self.dep.note(f"parameter '{name}' comes from a Key Vault reference; lb6 "
                                  "uses a placeholder", self.origin(base + (name,), "",
                                                                    self.params_doc))
                else:
                    raise self.fail(base + (name,), f"expected {{\"value\": ...}} for parameter "
                                    f"'{name}'", self.params_source, self.params_doc)
        # Defaults may use resourceGroup() and earlier parameters, so resolve in order.
        for name, spec in defs.items():
            path = ("parameters", name)
            if not isinstance(spec, dict):
                raise self.fail(path, f"parameter '{name}' must be an object with a 'type'")
            ptype = str(spec.get("type", "string")).lower()
            if name in given:
                value, vpath = given[name]
                src, doc = self.params_source, self.params_doc
            elif "defaultValue" in spec:
                vpath = path + ("defaultValue",)
                value = self.evaluate(spec["defaultValue"], self.ctx(), vpath)
                src, doc = self.source, self.doc
            else:
                value = self.placeholder(name, spec, ptype)
                self.param_values[name] = value
                self.dep.note(f"parameter '{name}' has no value and no default; lb6 uses "
                              f"{value!r} (pass --parameters FILE to set it)",
                              self.origin(path))
                continue
            value = self.check_type(name, ptype, value, vpath, src, doc)
            allowed = spec.get("allowedValues")
            if isinstance(allowed, list) and value not in allowed:
                raise self.fail(vpath, f"parameter '{name}' is {value!r}, which is not one of "
                                f"its allowedValues: {', '.join(map(repr, allowed))}", src, doc)
            self.param_values[name] = value

    def placeholder(self, name: str, spec: dict, ptype: str):
        allowed = spec.get("allowedValues")
        if isinstance(allowed, list) and allowed:
            return allowed[0]
        if ptype == "int":
            return spec.get("minValue", 1)
        if ptype == "bool":
            return False
        if ptype == "array":
            return []
        if ptype in ("object", "secureobject"):
            return {}
        return re.sub(r"[^a-z0-9]", "", name.lower()) or "placeholder"

    def check_type(self, name, ptype, value, path, src, doc):
        if ptype == "int":
            if isinstance(value, str) and value.strip().lstrip("-").isdigit():
                return int(value)
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif ptype == "bool":
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            ok = isinstance(value, bool)
        elif ptype in ("string", "securestring"):
            ok = isinstance(value, str)
        elif ptype == "array":
            ok = isinstance(value, list)
        else:
            ok = isinstance(value, dict)
        if not ok:
            raise self.fail(path, f"parameter '{name}' is declared {ptype} but its value is "
                            f"{value!r}", src, doc)
        return value
