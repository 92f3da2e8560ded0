// Kubernetes name formats (k8s.io/apimachinery pkg/util/validation validation.go), with their exact messages.

const DNS1035_FMT = '[a-z]([-a-z0-9]*[a-z0-9])?';
const DNS1123_LABEL_FMT = '[a-z0-9]([-a-z0-9]*[a-z0-9])?';
const DNS1123_SUBDOMAIN_FMT = `${DNS1123_LABEL_FMT}(\\.${DNS1123_LABEL_FMT})*`;
const QUALIFIED_NAME_FMT = '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]';
const QUALIFIED_NAME_MSG = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(' or ')}regex used for validation is '${fmt}')`;
}

const maxLenError = (n: number): string => `must be no more than ${n} characters`;
const full = (fmt: string): RegExp => new RegExp(`^(?:${fmt})$`);
const QUALIFIED_NAME_RE = full(QUALIFIED_NAME_FMT);

/** One of apimachinery's length-and-regex name formats: a checker returning its error strings (empty when valid). */
function nameFormat(maxLen: number, fmt: string, msg: string, ...examples: string[]): (value: string) => string[] {
  const re = full(fmt);
  return (value) => {
    const errs: string[] = [];
    if (value.length > maxLen) errs.push(maxLenError(maxLen));
    if (!re.test(value)) errs.push(regexError(msg, fmt, ...examples));
    return errs;
  };
}

/** validation.IsDNS1035Label: error strings, empty when valid. */
export const isDNS1035Label = nameFormat(63, DNS1035_FMT,
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character",
  'my-name', 'abc-123');

/** validation.IsDNS1123Label. */
export const isDNS1123Label = nameFormat(63, DNS1123_LABEL_FMT,
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character",
  'my-name', '123-abc');

/** validation.IsDNS1123Subdomain. */
export const isDNS1123Subdomain = nameFormat(253, DNS1123_SUBDOMAIN_FMT,
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
  'example.com');

/** validation.IsQualifiedName (optional DNS-subdomain prefix and '/'). */
export function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split('/');
  let name: string;
  if (parts.length === 1) {
    name = parts[0];
  } else if (parts.length === 2) {
    const [prefix] = parts;
    name = parts[1];
    if (prefix.length === 0) errs.push('prefix part must be non-empty');
    else errs.push(...isDNS1123Subdomain(prefix).map((m) => `prefix part ${m}`));
  } else {
    return [`a qualified name ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`];
  }
  if (name.length === 0) errs.push('name part must be non-empty');
  else if (name.length > 63) errs.push(`name part ${maxLenError(63)}`);
  if (!QUALIFIED_NAME_RE.test(name)) {
    errs.push(`name part ${regexError(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, 'MyName', 'my.name', '123-abc')}`);
  }
  return errs;
}

/** fmt.Sprint of a []string: "[a b]". */
export const goList = (msgs: string[]): string => `[${msgs.join(' ')}]`;

/**
 * apimachinery NameIsDNS1035Label as Knative words it: "not a DNS 1035 label[ prefix]: [...]", or null when
 * valid. In prefix mode (generateName) one trailing '-' is allowed.
 */
export function notDNS1035Label(name: string, prefix: boolean): string | null {
  const masked = prefix && name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
  const msgs = isDNS1035Label(masked);
  return msgs.length === 0 ? null : `not a DNS 1035 label${prefix ? ' prefix' : ''}: ${goList(msgs)}`;
}
