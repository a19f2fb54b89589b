/*
 * Forms generated from the schema's input types (owned by the newsroom core).
 *
 * inputForm('RecordConsentInput', {values, pickers, labels, help, hidden, only})
 * reads the type from the schema (introspection, cached per session) and draws one
 * labelled control per field: enums as pickers, lists of enums as checkbox groups,
 * DateTime/Date as date pickers, Boolean as a checkbox, ID fields as pickers of
 * related records (see registerPicker), nested input objects as fieldsets. The
 * field's description from the schema is the help text unless `help` says more
 * plainly. A new field in the schema appears here without new UI code.
 *
 * TODO(newsroom-core): this is the contract; the implementation lands with the
 * core branch.
 */

/**
 * Registers a picker for related records: `kind` is matched against an ID field's
 * name without its `Id`/`Ids` suffix (storytellerId → 'storyteller', consentIds →
 * 'consent'). `pick(container, {multiple, value, onChange, label})` draws a control.
 */
export function registerPicker(kind, pick) {
  pickers.set(kind, pick);
}

export const pickers = new Map();

/**
 * A form section for one input type. Resolves to {element, value(), setErrors(errors)}:
 * value() returns the variables object (only fields the person set, typed), or
 * throws after marking the invalid controls.
 */
export async function inputForm(typeName, options) {
  throw new Error(`inputForm(${typeName}) is not implemented yet`);
}
