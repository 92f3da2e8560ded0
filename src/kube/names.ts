// Kubernetes' name, label-key and label-value rules with their exact messages, in two wordings: Kubernetes 1.36's,
// as knit's API server answers, and the older k8s.io/apimachinery's that Knative's webhooks vendor
// (k8s.io/apimachinery pkg/util/validation/validation.go, pkg/api/validate/content/{dns,kube}.go, pkg/api/validation/generic.go).

const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const DNS1035_LABEL_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const LABEL_KEY_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const LABEL_VALUE_FMT = `(${LABEL_KEY_FMT})?`;

const LABEL_KEY_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_MSG = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const DNS1123_LABEL_MSG = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_MSG = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1035_LABEL_MSG = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";

const whole = (fmt: string): RegExp => new RegExp(`^(?:${fmt})$`);
const DNS1123_LABEL_RE = whole(DNS1123_LABEL_FMT);
const DNS1123_SUBDOMAIN_RE = whole(DNS1123_SUBDOMAIN_FMT);
const DNS1035_LABEL_RE = whole(DNS1035_LABEL_FMT);
const LABEL_KEY_RE = whole(LABEL_KEY_FMT);
const LABEL_VALUE_RE = whole(LABEL_VALUE_FMT);

/** Length in bytes, as Go's len() on a string counts. */
export const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

/** validation.RegexError. */
export function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

// util/validation says "characters", the newer content package says "bytes"; both count bytes.
const maxLenChars = (n: number): string => `must be no more than ${n} characters`;
const maxLenBytes = (n: number): string => `must be no more than ${n} bytes`;

/** validation.IsDNS1123Label (namespace names): too long, dots, or the regex message. */
export function isDNS1123Label(value: string, maxLen = maxLenChars): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLen(63));
  if (!DNS1123_LABEL_RE.test(value)) {
    if (DNS1123_SUBDOMAIN_RE.test(value)) errs.push('must not contain dots');
    else errs.push(regexError(DNS1123_LABEL_MSG, DNS1123_LABEL_FMT, 'my-name', '123-abc'));
  }
  return errs;
}

/** validation.IsDNS1123Subdomain (most object names). */
export function isDNS1123Subdomain(value: string, maxLen = maxLenChars): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 253) errs.push(maxLen(253));
  if (!DNS1123_SUBDOMAIN_RE.test(value)) errs.push(regexError(DNS1123_SUBDOMAIN_MSG, DNS1123_SUBDOMAIN_FMT, 'example.com'));
  return errs;
}

/** validation.IsDNS1035Label. */
export function isDNS1035Label(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLenChars(63));
  if (!DNS1035_LABEL_RE.test(value)) errs.push(regexError(DNS1035_LABEL_MSG, DNS1035_LABEL_FMT, 'my-name', 'abc-123'));
  return errs;
}

/**
 * Whose messages a qualified name gets. 'kubernetes': content.IsLabelKey of Kubernetes 1.35 and later ("a valid
 * label key", lengths in "bytes"), as the API server answers. 'knative': validation.IsQualifiedName of the older
 * apimachinery that knative/serving's webhooks are built with ("a qualified name", lengths in "characters").
 * Both count bytes, as Go's len() does.
 */
export type NameWording = 'kubernetes' | 'knative';

/** content.IsLabelKey / validation.IsQualifiedName: optional DNS-subdomain prefix, '/', name part ≤ 63. */
export function isQualifiedName(value: string, wording: NameWording): string[] {
  const maxLen = wording === 'kubernetes' ? maxLenBytes : maxLenChars;
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const prefix = parts[0];
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDNS1123Subdomain(prefix, maxLen).map((m) => `prefix part ${m}`));
  } else {
    const what = wording === 'kubernetes' ? 'a valid label key' : 'a qualified name';
    return [`${what} ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (byteLength(name) > 63) errs.push(`name part ${maxLen(63)}`);
  if (!LABEL_KEY_RE.test(name)) errs.push(`name part ${regexError(LABEL_KEY_MSG, LABEL_KEY_FMT, 'MyName', 'my.name', '123-abc')}`);
  return errs;
}

/** content.IsLabelKey: a qualified name in Kubernetes 1.36's wording. */
export const isLabelKey = (value: string): string[] => isQualifiedName(value, 'kubernetes');

/** content.IsLabelValue: empty, or ≤ 63 bytes of the label-key alphabet. */
export function isLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (byteLength(value) > 63) errs.push(maxLenBytes(63));
  if (!LABEL_VALUE_RE.test(value)) errs.push(regexError(LABEL_VALUE_MSG, LABEL_VALUE_FMT, 'MyValue', 'my_value', '12345'));
  return errs;
}

/** generic.go maskTrailingDash: a generateName may end in '-'; Go replaces the last two bytes with "a". */
function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -2)}a` : name;
}

/** A ValidateNameFunc: messages for a name, or for a generateName prefix when `prefix` is set. */
export type NameValidator = (name: string, prefix: boolean) => string[];

/** validation.NameIsDNSSubdomain. */
export const nameIsDNSSubdomain: NameValidator = (name, prefix) => isDNS1123Subdomain(prefix ? maskTrailingDash(name) : name);
/** validation.NameIsDNSLabel (also ValidateNamespaceName). */
export const nameIsDNSLabel: NameValidator = (name, prefix) => isDNS1123Label(prefix ? maskTrailingDash(name) : name);
/** validation.NameIsDNS1035Label. */
export const nameIsDNS1035Label: NameValidator = (name, prefix) => isDNS1035Label(prefix ? maskTrailingDash(name) : name);

/** k8s.io/apimachinery pkg/api/meta UnsafeGuessKindToResource: the lower-cased kind, pluralised. */
export function guessResource(kind: string): string {
  const k = kind.toLowerCase();
  if (k === '') return '';
  if (k.endsWith('s')) return `${k}es`;
  if (k.endsWith('y')) return `${k.slice(0, -1)}ies`;
  return `${k}s`;
}
