// Registry credentials from a revision's imagePullSecrets, as the kubelet reads them (kubernetes
// pkg/credentialprovider/secrets MakeDockerKeyring): kubernetes.io/dockerconfigjson and kubernetes.io/dockercfg
// Secrets become one containers-auth.json document for `podman pull --authfile`.

/** The parts of a Secret that hold registry credentials (`data` values are base64, as stored). */
export interface PullSecret {
  type?: string;
  data?: Record<string, unknown>;
}

type Auths = Record<string, unknown>;

function decoded(data: Record<string, unknown> | undefined, key: string): unknown {
  const v = data?.[key];
  if (typeof v !== 'string') return undefined;
  try {
    return JSON.parse(Buffer.from(v, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
}

function isMap(v: unknown): v is Auths {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The auth file for the secrets, in order (the first secret naming a registry wins), or undefined when none of
 * them holds credentials. Secrets of other types, or whose data does not parse, are skipped as the kubelet skips
 * them.
 */
export function registryAuthFile(secrets: readonly PullSecret[]): string | undefined {
  const auths: Auths = {};
  for (const s of secrets) {
    let entries: unknown;
    if (s.type === 'kubernetes.io/dockerconfigjson') entries = (decoded(s.data, '.dockerconfigjson') as { auths?: unknown } | undefined)?.auths;
    else if (s.type === 'kubernetes.io/dockercfg') entries = decoded(s.data, '.dockercfg');
    if (!isMap(entries)) continue;
    for (const [registry, entry] of Object.entries(entries)) {
      if (isMap(entry) && !Object.hasOwn(auths, registry)) auths[registry] = entry;
    }
  }
  return Object.keys(auths).length > 0 ? JSON.stringify({ auths }) : undefined;
}
