// Eventing's sources (knative/eventing pkg/apis/sources/v1): the controllers `knit serve` runs for them.

import type { ControllerFactory } from '../manager.ts';
import { pingSourceController } from './pingsource.ts';
import { apiServerSourceController } from './apiserversource.ts';
import { containerSourceController } from './containersource.ts';
import { sinkBindingController } from './sinkbinding.ts';

/** PingSource, ApiServerSource, ContainerSource and SinkBinding, on real timers. */
export const SOURCE_CONTROLLERS: readonly ControllerFactory[] = [pingSourceController(), apiServerSourceController, containerSourceController, sinkBindingController];
