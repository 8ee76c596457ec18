import type { LabErrors, LabField, LabGroup, LabInput } from "../lab-options.ts";
import { h, uniqueId } from "./dom.ts";

/**
 * The option form, generated from the lab's option table: a select for each choice, a
 * checkbox for each switch, a text box for each number (so a wrong value stays visible next
 * to its explanation instead of being blanked by the browser). Each control is labelled,
 * described by its option's help text, and marked aria-invalid with the message beside it.
 */

const GROUP_TITLES: Record<LabGroup, string> = {
  network: "Network",
  training: "Training",
};

interface Control {
  field: LabField;
  wrapper: HTMLElement;
  input: HTMLInputElement | HTMLSelectElement;
  error: HTMLElement;
}

export interface OptionForm {
  element: HTMLElement;
  /** The raw value of every control ("" for an empty text box: the default). */
  raw(): Record<string, string | boolean>;
  /** Show values (and, for rejected ones, the text that was rejected). */
  set(input: Readonly<LabInput>, rejected?: ReadonlyMap<string, string>): void;
  /** Show problems beside their controls; "" goes to the form's own line. */
  showErrors(errors: LabErrors): void;
  /** Focus the first control with a problem. */
  focusFirstError(): void;
}

function defaultHint(field: LabField): string {
  const d = field.spec.default;
  if (d === null && field.spec.key === "branchScale") return "empty: 1/depth, as doctor sets it";
  if (d === null) return "empty: the engine's default";
  return `default ${String(d)}`;
}

export function optionForm(
  fields: readonly LabField[],
  onChange: () => void,
  idPrefix = "opt",
): OptionForm {
  const controls: Control[] = [];
  const formError = h("p", { class: "form-error", role: "alert", "data-error": "" });
  const groups = new Map<LabGroup, HTMLFieldSetElement>();
  for (const field of fields) {
    let group = groups.get(field.group);
    if (!group) {
      group = h("fieldset", { class: "opt-group" }, h("legend", {}, GROUP_TITLES[field.group]));
      groups.set(field.group, group);
    }
    const spec = field.spec;
    const id = `${idPrefix}-${spec.key}`;
    const hintId = uniqueId(`${id}-hint`);
    const errorId = uniqueId(`${id}-error`);
    const error = h("span", { class: "opt-error", id: errorId, "data-error-for": spec.key });
    // The option's help shows while its control has focus; the default and range always.
    const hint = h(
      "span",
      { class: "opt-hint", id: hintId },
      h("span", { class: "opt-desc" }, `${spec.description}. `),
      `${defaultHint(field)}${
        spec.kind === "int" || spec.kind === "number" ? `; ${spec.min} to ${spec.max}` : ""
      }`,
    );
    let input: HTMLInputElement | HTMLSelectElement;
    const describedBy = `${hintId} ${errorId}`;
    if (spec.kind === "choice") {
      input = h(
        "select",
        { id, name: spec.key, "aria-describedby": describedBy, "data-key": spec.key },
        ...spec.choices.map((c) => h("option", { value: c }, c)),
      );
      input.addEventListener("change", onChange);
    } else if (spec.kind === "boolean") {
      input = h("input", {
        id,
        name: spec.key,
        type: "checkbox",
        "aria-describedby": describedBy,
        "data-key": spec.key,
      });
      input.addEventListener("change", onChange);
    } else {
      input = h("input", {
        id,
        name: spec.key,
        type: "text",
        inputmode: spec.kind === "int" ? "numeric" : "decimal",
        autocomplete: "off",
        spellcheck: "false",
        placeholder: spec.default === null ? "default" : "",
        "aria-describedby": describedBy,
        "data-key": spec.key,
      });
      input.addEventListener("change", onChange);
      input.addEventListener("keydown", (e) => {
        if ((e as KeyboardEvent).key === "Enter") {
          e.preventDefault();
          onChange();
        }
      });
    }
    const label = h("label", { for: id }, field.label, " ", h("code", {}, spec.key));
    const wrapper = h(
      "div",
      { class: `opt opt-${spec.kind}`, "data-option": spec.key },
      ...(spec.kind === "boolean" ? [input, label] : [label, input]),
      hint,
      error,
    );
    group.append(wrapper);
    controls.push({ field, wrapper, input, error });
  }
  // One help line for the option under focus or the pointer, in a box of fixed height so
  // that no control moves (the same text is each control's accessible description).
  const idleHelp = "Point at or focus an option to read what it does.";
  const help = h("p", { class: "opt-help", "aria-hidden": "true" }, idleHelp);
  const showHelp = (event: Event) => {
    const opt = (event.target as HTMLElement).closest?.(".opt[data-option]");
    const c = opt ? controls.find((x) => x.wrapper === opt) : undefined;
    help.textContent = c ? `${c.field.label}: ${c.field.spec.description}.` : idleHelp;
  };
  const element = h(
    "form",
    {
      class: "opt-form",
      novalidate: true,
      onsubmit: (e: Event) => {
        e.preventDefault();
        onChange();
      },
    },
    ...groups.values(),
    formError,
    help,
  );
  element.addEventListener("focusin", showHelp);
  element.addEventListener("mouseover", showHelp);

  function current(): LabInput {
    const out: LabInput = {};
    for (const c of controls) {
      const v =
        c.input instanceof HTMLInputElement && c.input.type === "checkbox"
          ? c.input.checked
          : c.input.value;
      out[c.field.spec.key] = v;
    }
    return out;
  }

  function updateRelevance(): void {
    const values = current();
    for (const c of controls) {
      const shown = c.field.relevant ? c.field.relevant(values) : true;
      // A control with a problem stays visible so its message can be read.
      c.wrapper.hidden = !shown && c.error.textContent === "";
    }
  }

  return {
    element,
    raw() {
      const out: Record<string, string | boolean> = {};
      for (const c of controls) {
        out[c.field.spec.key] =
          c.input instanceof HTMLInputElement && c.input.type === "checkbox"
            ? c.input.checked
            : c.input.value.trim();
      }
      updateRelevance();
      return out;
    },
    set(input, rejected) {
      for (const c of controls) {
        const key = c.field.spec.key;
        const bad = rejected?.get(key);
        const v = input[key];
        if (c.input instanceof HTMLInputElement && c.input.type === "checkbox") {
          c.input.checked = bad !== undefined ? bad === "true" : v === true;
        } else if (c.input instanceof HTMLSelectElement) {
          c.input.value = String(v ?? c.field.spec.default ?? "");
        } else {
          c.input.value = bad ?? (v === null || v === undefined ? "" : String(v));
        }
      }
      updateRelevance();
    },
    showErrors(errors) {
      for (const c of controls) {
        const message = errors.get(c.field.spec.key) ?? "";
        c.error.textContent = message;
        if (message) c.input.setAttribute("aria-invalid", "true");
        else c.input.removeAttribute("aria-invalid");
      }
      const general = errors.get("") ?? "";
      formError.textContent = general;
      formError.hidden = general === "";
      updateRelevance();
    },
    focusFirstError() {
      controls.find((c) => c.error.textContent)?.input.focus();
    },
  };
}
