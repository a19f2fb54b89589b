/*
 * Forms generated from the schema's input types (owned by the newsroom core).
 *
 * inputForm('RecordConsentInput', {values, pickers, labels, help, hidden, only, multiline})
 * reads the type from the schema (introspection, kept in memory for the session) and
 * draws one labelled control per field: enums as pickers, lists of enums as checkbox
 * groups, DateTime/Date as date pickers, Boolean as a checkbox, ID fields as pickers
 * of related records (see registerPicker), nested input objects as fieldsets. The
 * field's description from the schema is the help text unless `help` says more
 * plainly. A new field in the schema appears here without new UI code, so editors
 * never type enum values, UUIDs or date formats from memory.
 *
 * Options (field keys are a field's name, or its dotted path for nested fields,
 * e.g. 'terms.channels', which wins over the bare name):
 * - values: {field: initial value} as the API takes it (nested objects nested).
 * - labels / help: {field: text} replacing the label or the help (already translated
 *   by the caller, or English passed through t()).
 * - hidden: [field] never drawn (the caller supplies them itself);
 *   only: [field] drawn, the rest left out (nested fields follow their parent).
 * - multiline: [field] String fields drawn as a textarea.
 * - pickers: {field: kind | pick function} for an ID field whose name does not say
 *   its kind.
 */

import { h, clear, gql, t, addTranslations } from './core.js';

/**
 * Registers a picker for related records: `kind` is matched against an ID field's
 * name without its `Id`/`Ids` suffix (storytellerId → 'storyteller', consentIds →
 * 'consent'). `pick(container, {multiple, value, onChange, label, id, required,
 * describedBy, field})` draws a labelled control into container; it reports the
 * chosen ID (or array of IDs when `multiple`) through onChange, and may return
 * {focus()} so the form can take the person to it when it is missing.
 */
export function registerPicker(kind, pick) {
  pickers.set(kind, pick);
}

export const pickers = new Map();

/** Thrown by value() when a control is invalid; the controls are marked already. */
export class FormInvalid extends Error {
  constructor(problems) {
    super(t('Please correct the marked fields.'));
    this.name = 'FormInvalid';
    this.problems = problems;
  }
}

/* ------------------------------------------------------------ schema */

let schemaTypes = null;

/** The schema's named types by name, fetched once per session. */
async function types() {
  if (!schemaTypes) {
    schemaTypes = gql('CoreInputTypes').then((data) => {
      const map = new Map();
      for (const type of data.__schema.types) map.set(type.name, type);
      return map;
    });
    schemaTypes.catch(() => { schemaTypes = null; });
  }
  return schemaTypes;
}

/** An enum's values from the schema: [{name, description}] (none if unknown). */
export async function enumValues(enumName) {
  const type = (await types()).get(enumName);
  return (type && type.enumValues) || [];
}

/** Forgets the schema (sign-out; the next person fetches it again). */
export function forgetSchema() {
  schemaTypes = null;
}

/** {nonNull, list, listItemNonNull, name, kind} for an introspected type reference. */
function unwrap(ref) {
  const out = { nonNull: false, list: false, itemNonNull: false, name: null, kind: null };
  let at = ref;
  if (at.kind === 'NON_NULL') { out.nonNull = true; at = at.ofType; }
  if (at.kind === 'LIST') {
    out.list = true;
    at = at.ofType;
    if (at.kind === 'NON_NULL') { out.itemNonNull = true; at = at.ofType; }
  }
  out.name = at.name;
  out.kind = at.kind;
  return out;
}

/** A GraphQL literal default (`GIVEN`, `false`, `[]`, `[A, B]`, `"x"`, `3`) as a JS value. */
function parseDefault(literal) {
  if (literal === null || literal === undefined) return undefined;
  const text = String(literal).trim();
  try {
    return JSON.parse(text);
  } catch (_) { /* not JSON: an enum or a list of enums */ }
  const list = /^\[(.*)\]$/s.exec(text);
  if (list) return list[1].split(',').map((s) => s.trim()).filter(Boolean).map(parseDefault);
  return text;
}

/* ------------------------------------------------------------ labels */

/** SOME_VALUE → "Some value" (then translated). */
export function enumLabel(value) {
  const words = String(value).toLowerCase().replace(/_/g, ' ');
  return t(words.charAt(0).toUpperCase() + words.slice(1));
}

/** storytellerId → "Storyteller", partnerIds → "Partners", givenAt → "Given at". */
export function fieldLabel(name, isId) {
  let base = name;
  if (isId) base = base.replace(/Ids$/, 's').replace(/Id$/, '') || name;
  const words = base.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function kindOf(name) {
  return name.replace(/Ids?$/, '');
}

const MULTILINE = new Set(['body', 'text', 'summary', 'notes', 'description']);

let counter = 0;
function nextId(prefix) {
  counter += 1;
  return `nr-f${counter}-${prefix}`;
}

/* ---------------------------------------------------------- time zones */

function pad(n) {
  return String(n).padStart(2, '0');
}

/** 'YYYY-MM-DDTHH:MM' in the browser's zone → RFC 3339 with the browser's offset. */
export function localToRfc3339(local) {
  const date = new Date(local);
  if (Number.isNaN(date.getTime())) return null;
  const offset = -date.getTimezoneOffset();
  const sign = offset >= 0 ? '+' : '-';
  const abs = Math.abs(offset);
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** RFC 3339 → 'YYYY-MM-DDTHH:MM' in the browser's zone, for a datetime-local input. */
export function rfc3339ToLocal(value) {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

/* ------------------------------------------------------------ controls */

/*
 * Every control is {element, read(), mark(message), focus()}: read() returns
 * {value} to send, {} to leave the field out, or {problem} when it is invalid.
 */

/** Help text, with the schema's `code` spans shown as code. */
function helpNodes(id, text) {
  if (!text) return null;
  const parts = String(text).split('`').map((part, i) => (i % 2 ? h('code', null, part) : part));
  return h('p', { class: 'nr-help', id }, parts);
}

function errorNode(id) {
  return h('p', { class: 'nr-field-error', id, hidden: true });
}

// The * sits beside the label, not in it, so the label is the field's name alone
// (the control's `required` tells assistive technology).
function labelNode(forId, text, required) {
  const label = h('label', { for: forId }, text);
  if (!required) return label;
  return h('span', { class: 'nr-label-row' }, label, h('span', { class: 'nr-required', 'aria-hidden': 'true' }, ' *'));
}

function markControl(input, errorEl, message) {
  errorEl.textContent = message || '';
  errorEl.hidden = !message;
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

function describedBy(...ids) {
  const list = ids.filter(Boolean).join(' ');
  return list || null;
}

function scalarControl(ctx) {
  const { field, type, label, help, initial, required, multiline, path } = ctx;
  const id = nextId(field.name);
  const helpId = help ? `${id}-help` : null;
  const errId = `${id}-error`;
  const scalar = type.name;
  const isList = type.list;
  const isSecret = /password|secret/i.test(field.name);
  let input;
  const common = {
    id,
    name: path,
    required: required || null,
    'aria-required': required ? 'true' : null,
    'aria-describedby': describedBy(helpId, errId),
  };
  if (scalar === 'Boolean' && !isList) {
    input = h('input', { ...common, type: 'checkbox', required: null, 'aria-required': null, checked: initial === true });
    const error = errorNode(errId);
    const element = h('div', { class: 'nr-field nr-field-checkbox', 'data-field': path },
      input, ' ', h('label', { for: id }, label), helpNodes(helpId, help), error);
    return {
      element,
      read() {
        // A checkbox always has an answer; send it when it was asked for or changed.
        if (type.nonNull || initial !== undefined || input.checked) return { value: input.checked };
        return {};
      },
      mark: (m) => markControl(input, error, m),
      focus: () => input.focus(),
    };
  }
  if (isList || multiline || scalar === 'JSON') {
    let text = '';
    if (initial !== undefined && initial !== null) {
      if (scalar === 'JSON') text = JSON.stringify(initial, null, 2);
      else if (isList) text = initial.join('\n');
      else text = String(initial);
    }
    input = h('textarea', { ...common, rows: isList ? 3 : 6, value: text });
  } else if (scalar === 'DateTime') {
    input = h('input', { ...common, type: 'datetime-local', value: initial ? rfc3339ToLocal(initial) : '' });
  } else if (scalar === 'Date') {
    input = h('input', { ...common, type: 'date', value: initial || '' });
  } else if (scalar === 'Int' || scalar === 'Float') {
    input = h('input', {
      ...common, type: 'number', step: scalar === 'Int' ? '1' : 'any', inputmode: scalar === 'Int' ? 'numeric' : 'decimal',
      value: initial === undefined || initial === null ? '' : String(initial),
    });
  } else if (scalar === 'Upload') {
    input = h('input', { ...common, type: 'file' });
  } else {
    input = h('input', {
      ...common, type: isSecret ? 'password' : /email/i.test(field.name) ? 'email' : 'text',
      value: initial === undefined || initial === null ? '' : String(initial),
      autocomplete: 'off',
    });
  }
  const listHelp = isList ? h('p', { class: 'nr-help', id: `${id}-list` }, t('One per line, or separated by commas.')) : null;
  if (listHelp) input.setAttribute('aria-describedby', describedBy(helpId, `${id}-list`, errId));
  const error = errorNode(errId);
  const element = h('div', { class: 'nr-field', 'data-field': path },
    labelNode(id, label, required), helpNodes(helpId, help), listHelp, input, error);

  function convert(raw) {
    if (scalar === 'Int') {
      if (!/^-?\d+$/.test(raw)) return { problem: t('Please enter a whole number.') };
      return { value: Number.parseInt(raw, 10) };
    }
    if (scalar === 'Float') {
      const n = Number(raw);
      if (!Number.isFinite(n)) return { problem: t('Please enter a number.') };
      return { value: n };
    }
    if (scalar === 'DateTime') {
      const v = localToRfc3339(raw);
      return v ? { value: v } : { problem: t('Please enter a date and time.') };
    }
    return { value: raw };
  }

  return {
    element,
    upload: scalar === 'Upload' ? input : null,
    read() {
      if (scalar === 'Upload') {
        if (required && !(input.files && input.files.length)) return { problem: t('Please choose a file.'), empty: true };
        return {};
      }
      const raw = input.value;
      if (scalar === 'JSON') {
        if (!raw.trim()) return required ? { problem: t('This field is required.'), empty: true } : {};
        try {
          return { value: JSON.parse(raw) };
        } catch (_) {
          return { problem: t('This is not valid JSON.') };
        }
      }
      if (isList) {
        const items = raw.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
        if (!items.length) {
          if (required) return { problem: t('This field is required.'), empty: true };
          return initial !== undefined ? { value: type.nonNull ? [] : null } : {};
        }
        const out = [];
        for (const item of items) {
          const one = convert(item);
          if (one.problem) return one;
          out.push(one.value);
        }
        return { value: out };
      }
      const trimmed = scalar === 'String' && !multiline ? raw.trim() : raw;
      if (!trimmed.trim()) {
        if (required) return { problem: t('This field is required.'), empty: true };
        // A value that was there and is now cleared is sent as null (cleared).
        return initial !== undefined && initial !== null && !type.nonNull ? { value: null } : {};
      }
      return convert(trimmed);
    },
    mark: (m) => markControl(input, error, m),
    focus: () => input.focus(),
  };
}

function enumControl(ctx, enumType) {
  const { field, type, label, help, initial, required, path } = ctx;
  const values = enumType.enumValues || [];
  const id = nextId(field.name);
  const helpId = help ? `${id}-help` : null;
  const errId = `${id}-error`;
  const error = errorNode(errId);

  if (type.list) {
    // A list of enums: one checkbox per value, each explained by its description.
    const chosen = new Set(Array.isArray(initial) ? initial : []);
    const boxes = values.map((v) => {
      const boxId = `${id}-${v.name}`;
      const descId = v.description ? `${boxId}-help` : null;
      const box = h('input', {
        type: 'checkbox', id: boxId, name: path, value: v.name, checked: chosen.has(v.name),
        'aria-describedby': descId,
      });
      return {
        box,
        node: h('div', { class: 'nr-check' }, box, ' ', h('label', { for: boxId }, enumLabel(v.name)),
          helpNodes(descId, v.description)),
      };
    });
    const fieldset = h('fieldset', {
      class: 'nr-field nr-checkgroup', 'data-field': path, 'aria-describedby': describedBy(helpId, errId),
    },
    h('legend', null, label, required ? h('span', { class: 'nr-required', 'aria-hidden': 'true' }, ' *') : null),
    helpNodes(helpId, help), boxes.map((b) => b.node), error);
    return {
      element: fieldset,
      read() {
        const picked = boxes.filter((b) => b.box.checked).map((b) => b.box.value);
        if (!picked.length && required) return { problem: t('Please choose at least one.') };
        if (!picked.length && initial === undefined && !type.nonNull) return {};
        return { value: picked };
      },
      mark(m) {
        error.textContent = m || '';
        error.hidden = !m;
        if (m) fieldset.setAttribute('aria-invalid', 'true');
        else fieldset.removeAttribute('aria-invalid');
      },
      focus: () => boxes.length && boxes[0].box.focus(),
    };
  }

  const valueHelpId = `${id}-value-help`;
  const valueHelp = h('p', { class: 'nr-help nr-enum-help', id: valueHelpId });
  const select = h('select', {
    id, name: path, required: required || null, 'aria-required': required ? 'true' : null,
    'aria-describedby': describedBy(helpId, valueHelpId, errId),
  },
  // A field with a default always has a value: no empty choice for it.
  type.nonNull && !required ? null : h('option', { value: '' }, required ? t('Choose…') : t('(none)')),
  values.map((v) => h('option', { value: v.name, title: v.description || null }, enumLabel(v.name))));
  if (initial !== undefined && initial !== null) select.value = initial;
  else if (!select.querySelector('option[value=""]')) select.selectedIndex = 0;
  else select.value = '';
  const showValueHelp = () => {
    const v = values.find((x) => x.name === select.value);
    valueHelp.textContent = (v && v.description) || '';
    valueHelp.hidden = !valueHelp.textContent;
  };
  select.addEventListener('change', showValueHelp);
  showValueHelp();
  const element = h('div', { class: 'nr-field', 'data-field': path },
    labelNode(id, label, required), helpNodes(helpId, help), select, valueHelp, error);
  return {
    element,
    read() {
      if (!select.value) {
        if (required) return { problem: t('Please choose one.'), empty: true };
        return initial !== undefined && initial !== null && !type.nonNull ? { value: null } : {};
      }
      return { value: select.value };
    },
    mark: (m) => markControl(select, error, m),
    focus: () => select.focus(),
  };
}

function pickerControl(ctx, pick) {
  const { field, type, label, help, initial, required, path } = ctx;
  const id = nextId(field.name);
  const helpId = help ? `${id}-help` : null;
  const errId = `${id}-error`;
  const error = errorNode(errId);
  let current = initial === undefined ? (type.list ? [] : null) : initial;
  const holder = h('div', { class: 'nr-picker-host' });
  const element = h('div', { class: 'nr-field nr-field-picker', 'data-field': path },
    helpNodes(helpId, help), holder, error);
  const handle = pick(holder, {
    multiple: type.list,
    value: current,
    onChange(v) { current = v; },
    label,
    id,
    required,
    describedBy: describedBy(helpId, errId),
    field: path,
  }) || {};
  return {
    element,
    read() {
      const empty = current === null || current === undefined || current === '' ||
        (Array.isArray(current) && !current.length);
      if (empty) {
        if (required) return { problem: t('Please choose one.'), empty: true };
        if (type.list && type.nonNull) return { value: [] };
        return initial !== undefined && initial !== null && !type.nonNull ? { value: null } : {};
      }
      return { value: current };
    },
    mark(m) {
      error.textContent = m || '';
      error.hidden = !m;
      const control = holder.querySelector('input, select, button');
      if (control) markControl(control, errorNode('x'), m);
    },
    focus() {
      if (typeof handle.focus === 'function') handle.focus();
      else {
        const control = holder.querySelector('input, select, button, textarea');
        if (control) control.focus();
      }
    },
  };
}

/** The controls for the fields of one input object type, inside `parent` (a node). */
function objectControls(all, type, options, prefix, initialValues, parent) {
  const controls = [];
  const pathOf = (name) => (prefix ? `${prefix}.${name}` : name);
  const opt = (key, name) => {
    const bag = options[key] || {};
    const path = pathOf(name);
    if (path in bag) return bag[path];
    if (name in bag) return bag[name];
    return undefined;
  };
  const listed = (key, name) => {
    const list = options[key];
    if (!list) return false;
    return list.includes(pathOf(name)) || list.includes(name);
  };
  for (const field of type.inputFields || []) {
    const path = pathOf(field.name);
    if (listed('hidden', field.name)) continue;
    // `only` picks among the top-level fields; nested fields follow their parent.
    if (options.only && !prefix && !listed('only', field.name)) continue;
    const ref = unwrap(field.type);
    const named = all.get(ref.name) || { kind: ref.kind, name: ref.name };
    const defaultValue = parseDefault(field.defaultValue);
    const given = initialValues && field.name in initialValues ? initialValues[field.name] : undefined;
    const initial = given !== undefined ? given : defaultValue;
    const noDefault = field.defaultValue === null || field.defaultValue === undefined;
    const required = ref.nonNull && noDefault;
    const isId = ref.name === 'ID';
    const labelText = opt('labels', field.name);
    const label = labelText !== undefined ? t(labelText) : t(fieldLabel(field.name, isId));
    const helpText = opt('help', field.name);
    const help = helpText !== undefined ? (helpText ? t(helpText) : '') : (field.description || '');
    const ctx = {
      field, type: ref, label, help, required, path, noDefault,
      // Only values the caller gave count as "already there"; defaults are just shown.
      initial: given !== undefined ? given : (defaultValue !== undefined ? defaultValue : undefined),
      multiline: MULTILINE.has(field.name) || listed('multiline', field.name),
    };
    let control;
    if (named.kind === 'ENUM') {
      control = enumControl(ctx, named);
    } else if (named.kind === 'INPUT_OBJECT' && !ref.list) {
      control = nestedControl(all, named, options, ctx, given);
    } else if (named.kind === 'INPUT_OBJECT') {
      // A list of objects: edited as JSON until a panel needs more.
      control = scalarControl({ ...ctx, type: { ...ref, list: false, name: 'JSON' } });
    } else if (isId) {
      const chosen = opt('pickers', field.name);
      const pick = typeof chosen === 'function' ? chosen : pickers.get(chosen || kindOf(field.name));
      control = pick ? pickerControl(ctx, pick) : scalarControl(ctx);
    } else {
      control = scalarControl(ctx);
    }
    control.name = field.name;
    control.path = path;
    control.label = label;
    control.defaulted = given === undefined && initial !== undefined;
    parent.appendChild(control.element);
    controls.push(control);
  }
  return controls;
}

function nestedControl(all, type, options, ctx, given) {
  const { label, help, required, path } = ctx;
  const helpId = help ? nextId('help') : null;
  const fieldset = h('fieldset', { class: 'nr-fieldset', 'data-field': path, 'aria-describedby': helpId },
    h('legend', null, label, required ? h('span', { class: 'nr-required', 'aria-hidden': 'true' }, ' *') : null),
    helpNodes(helpId, help));
  const children = objectControls(all, type, options, path, given || {}, fieldset);
  return {
    element: fieldset,
    children,
    read() {
      const out = readAll(children);
      // An optional object left wholly empty is left out: its own required
      // fields are required only once any of it is filled in.
      if (!required && !Object.keys(out.value).length && out.problems.every((p) => p.empty)) {
        for (const c of flatten(children)) c.mark('');
        return {};
      }
      if (out.problems.length) return { problems: out.problems };
      if (!Object.keys(out.value).length && !required) return {};
      return { value: out.value };
    },
    mark() {},
    focus: () => children.length && children[0].focus(),
  };
}

function readAll(controls) {
  const value = {};
  const problems = [];
  for (const control of controls) {
    const result = control.read();
    if (result.problems) {
      problems.push(...result.problems);
      continue;
    }
    control.mark(result.problem || '');
    if (result.problem) problems.push({ control, message: result.problem, empty: !!result.empty });
    else if ('value' in result) value[control.name] = result.value;
  }
  return { value, problems };
}

function flatten(controls) {
  const out = [];
  for (const c of controls) {
    out.push(c);
    if (c.children) out.push(...flatten(c.children));
  }
  return out;
}

/**
 * A form section for one input type. Resolves to {element, value(), setErrors(errors),
 * files(), focus()}: value() returns the variables object (only fields the person
 * set, typed), or throws FormInvalid after marking the invalid controls and moving
 * focus to the first; setErrors(err) shows the API's answer (a GqlError, a list of
 * GraphQL errors, or a sentence) in words at the top of the form, and marks the
 * field it names (`extensions.field`); setErrors(null) clears it. files() gives
 * {path: File} for Upload fields, for gql(name, vars, {files}).
 */
export async function inputForm(typeName, options) {
  const opts = options || {};
  const all = await types();
  const type = all.get(typeName);
  if (!type || type.kind !== 'INPUT_OBJECT') throw new Error(`The schema has no input type named ${typeName}.`);
  const alert = h('div', { class: 'nr-form-errors', role: 'alert' });
  const note = h('p', { class: 'nr-form-note' },
    h('span', { 'aria-hidden': 'true' }, '* '), t('marks a required field.'));
  const element = h('div', { class: 'nr-form', 'data-input-type': typeName }, alert);
  const controls = objectControls(all, type, opts, '', opts.values || {}, element);
  if (flatten(controls).some((c) => c.element.querySelector('.nr-required'))) element.insertBefore(note, alert.nextSibling);

  function setErrors(errors) {
    clear(alert);
    for (const c of flatten(controls)) c.mark('');
    if (!errors) return;
    const list = typeof errors === 'string' ? [{ message: errors }]
      : Array.isArray(errors) ? errors
        : errors.errors && errors.errors.length ? errors.errors
          : [{ message: errors.message || String(errors) }];
    for (const err of list) {
      alert.appendChild(h('p', null, err.message || t('Something went wrong.')));
      const field = err.extensions && err.extensions.field;
      if (!field) continue;
      const camel = String(field).replace(/_([a-z])/g, (m, c) => c.toUpperCase());
      const match = flatten(controls).find((c) => c.path === camel || c.name === camel || c.path.endsWith(`.${camel}`));
      if (match) match.mark(err.message);
    }
  }

  return {
    element,
    value() {
      setErrors(null);
      const out = readAll(controls);
      if (out.problems.length) {
        alert.appendChild(h('p', null, t('Please correct the marked fields.')));
        out.problems[0].control.focus();
        throw new FormInvalid(out.problems);
      }
      return out.value;
    },
    files() {
      const files = {};
      for (const c of flatten(controls)) {
        if (c.upload && c.upload.files && c.upload.files[0]) files[c.path] = c.upload.files[0];
      }
      return files;
    },
    setErrors,
    focus() {
      if (controls.length) controls[0].focus();
    },
  };
}

/**
 * A form that makes one record from an input type, drawn into `host`:
 * {type, options (as inputForm's), className, labelledBy, buttonText,
 * run(input)}. On submit it reads the values (a marked field stops it),
 * disables the button meanwhile and shows the server's refusal on the form;
 * once `run` succeeds an empty form takes its place, so the next press makes a
 * new record rather than sending the same one again.
 */
export async function creationForm(host, o) {
  const form = await inputForm(o.type, o.options);
  const button = h('button', { type: 'submit', class: 'nr-button nr-primary' }, o.buttonText);
  const element = h('form', { class: o.className || null, 'aria-labelledby': o.labelledBy || null, novalidate: true },
    form.element, h('div', { class: 'nr-actions' }, button));
  element.addEventListener('submit', async (event) => {
    event.preventDefault();
    let input;
    try {
      input = form.value();
    } catch (err) {
      if (err instanceof FormInvalid) return;
      throw err;
    }
    button.disabled = true;
    try {
      await o.run(input);
    } catch (err) {
      form.setErrors(err);
      button.disabled = false;
      return;
    }
    await creationForm(host, o);
  });
  clear(host).appendChild(element);
}

addTranslations('ar', {
  'Please correct the marked fields.': 'يرجى تصحيح الحقول المعلَّمة.',
  'One per line, or separated by commas.': 'واحد في كل سطر، أو مفصولة بفواصل.',
  'Please enter a whole number.': 'يرجى إدخال عدد صحيح.',
  'Please enter a number.': 'يرجى إدخال رقم.',
  'Please enter a date and time.': 'يرجى إدخال تاريخ ووقت.',
  'Please choose a file.': 'يرجى اختيار ملف.',
  'This field is required.': 'هذا الحقل مطلوب.',
  'This is not valid JSON.': 'هذا ليس JSON صالحًا.',
  'Please choose at least one.': 'يرجى اختيار خيار واحد على الأقل.',
  'Please choose one.': 'يرجى اختيار واحد.',
  'Choose…': 'اختر…',
  '(none)': '(لا شيء)',
  'marks a required field.': 'تشير إلى حقل مطلوب.',
});
