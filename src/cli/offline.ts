// Offline (GitOps) mode, `--target DIR|FILE` (kn's gitops serving client): Services are read from and written to
// local files instead of the API. A target ending in .yaml/.yml/.json is one file holding one Service (format by
// extension); anything else is a directory laid out as DIR/<namespace>/ksvc/<name>.yaml. Loaded only when --target
// is given.

import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { API_VERSION, type Service } from '../api/types.ts';
import { CliError } from './errors.ts';
import { toJson, toYaml } from './output.ts';

const KSVC = 'ksvc';

/** kn's apierrors.NewNotFound text for a service. */
export function serviceNotFound(name: string): CliError {
  return new CliError(`services.serving.knative.dev "${name}" not found`);
}

/** The Service files of one `--target`. `namespace` undefined means all namespaces (list -A). */
export class OfflineServices {
  /** The target as the user gave it (used in messages). */
  readonly target: string;
  readonly fileMode: boolean;
  readonly format: 'yaml' | 'json';
  private readonly root: string;
  private readonly namespace: string | undefined;

  constructor(target: string, namespace: string | undefined, cwd: string) {
    this.target = target;
    this.namespace = namespace;
    this.root = resolve(cwd, target);
    this.fileMode = /\.(ya?ml|json)$/.test(target);
    this.format = target.endsWith('.json') ? 'json' : 'yaml';
  }

  /** Where the Service NAME lives. */
  filePath(name: string): string {
    if (this.fileMode) return this.root;
    return join(this.root, this.namespace ?? 'default', KSVC, `${name}.yaml`);
  }

  /** The Service NAME; not-found when its file is missing (or, in single-file mode, holds another service). */
  get(name: string): Service {
    const svc = this.read(this.filePath(name), name);
    if (this.fileMode && (svc.metadata.name ?? '') !== name) throw serviceNotFound(name);
    return svc;
  }

  /** True if create would overwrite something: the service's file exists (in single-file mode: the file). */
  exists(name: string): boolean {
    return existsSync(this.filePath(name));
  }

  /** The Service in the file of NAME whatever its name (single-file mode may hold another one). */
  peek(name: string): Service | undefined {
    const path = this.filePath(name);
    return existsSync(path) ? this.read(path, name) : undefined;
  }

  /** kn's ListServices: the single file, or every *.yaml below a `ksvc` directory of DIR/<namespace> (or DIR). */
  list(): Service[] {
    if (this.fileMode) return existsSync(this.root) ? [this.read(this.root, '')] : [];
    if (!isDirectory(this.root)) throw new CliError(`directory '${this.target}' not present, please create the directory and try again`);
    const start = this.namespace === undefined ? this.root : join(this.root, this.namespace);
    if (!isDirectory(start)) return [];
    const out: Service[] = [];
    const walk = (dir: string): void => {
      const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const e of entries) {
        const path = join(dir, e.name);
        if (e.isDirectory()) {
          walk(path);
          continue;
        }
        if (!e.name.endsWith('.yaml')) continue;
        // Like filepath.Walk + SkipDir: a YAML file outside a ksvc path ends the walk of its directory.
        if (!relative(this.root, path).includes(KSVC)) return;
        out.push(this.read(path, ''));
      }
    };
    walk(start);
    return out;
  }

  /** kn's CreateService: writes the file; in directory mode DIR must exist (the namespace/ksvc part is created). */
  async create(svc: Service): Promise<void> {
    if (!this.fileMode && !isDirectory(this.root)) {
      throw new CliError(`directory '${this.target}' not present, please create the directory and try again`);
    }
    await this.write(this.filePath(svc.metadata.name ?? ''), svc);
  }

  /** kn's UpdateService: the service must exist, then its file is replaced. */
  async update(svc: Service): Promise<void> {
    this.get(svc.metadata.name ?? '');
    await this.create(svc);
  }

  /** kn's DeleteService: removes the file (not-found if it is not there). */
  remove(name: string): void {
    this.get(name);
    rmSync(this.filePath(name));
  }

  private read(path: string, name: string): Service {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') throw serviceNotFound(name);
      throw new CliError(`open ${path}: ${err.message}`);
    }
    return parseServiceText(text, path);
  }

  private async write(path: string, svc: Service): Promise<void> {
    const doc = withServingGvk(svc);
    const text = this.format === 'json' ? toJson(doc) : await toYaml(doc);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** kn's updateServingGvk: apiVersion serving.knative.dev/v1, kind Service. */
function withServingGvk(svc: Service): Service {
  return { ...svc, apiVersion: API_VERSION, kind: 'Service' };
}

/** A Service from YAML or JSON text (the first document). */
export function parseServiceText(text: string, path: string): Service {
  let doc: unknown;
  try {
    const first = parseAllDocuments(text)[0];
    if (first && first.errors.length > 0) throw first.errors[0];
    doc = first?.toJS();
  } catch (e) {
    throw new CliError(`error parsing ${path}: ${(e as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new CliError(`error parsing ${path}: expected a Service object`);
  const svc = withServingGvk(doc as Service);
  svc.metadata = svc.metadata ?? {};
  svc.spec = svc.spec ?? ({} as Service['spec']);
  svc.spec.template = svc.spec.template ?? { spec: { containers: [] } };
  svc.spec.template.spec = svc.spec.template.spec ?? { containers: [] };
  return svc;
}
