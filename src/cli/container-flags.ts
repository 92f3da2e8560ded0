// The flags of kn's extra containers (knative/client pkg/flags/podspec.go AddFlags), kept apart from container.ts so the command table loads no YAML parser.

import type { FlagSpec } from './flags.ts';

const CONTAINERS_USAGE = "Specify path to file including definition for additional containers, alternatively use '-' to read from stdin. Example: --containers ./containers.yaml or --containers -.";

/** `--containers FILE|-` and its hidden, deprecated alias `--extra-containers`. */
export const CONTAINERS_FLAGS: FlagSpec[] = [
  { name: 'extra-containers', type: 'string', hidden: true, usage: 'Deprecated, use --containers instead.' },
  { name: 'containers', type: 'string', usage: CONTAINERS_USAGE },
];
