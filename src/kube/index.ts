// The apiserver's read-verb and input rules for knit's API server: one import for selectors, query options, paging, ObjectMeta and body/path safety.
/**
 * Entry points, in the order a request meets them. Every refusal is thrown as a StatusError
 * ({ code, reason, message, details?, continueToken? }) for the API server to render as a Status; nothing here
 * touches HTTP or the store.
 *
 * 1. Path:   decodeRequestPath(rawPath) → { ok, segments } | Go's plain "400 Bad Request" (GO_BAD_REQUEST).
 *            Split segments after decoding, as the apiserver does; never call decodeURIComponent on a path.
 * 2. Query:  parseListOptions(query, { fields, name, watchList }) for list and watch (fields: FIELD_SELECTABLE.*,
 *            e.g. customResource(true) for Knative kinds, event/pod/secret/namespace for core kinds; name: the object
 *            name of a single-object watch); parseGetOptions; parseDeleteOptions(query, parsedBody?);
 *            parseWriteOptions(query, 'create' | 'update' | 'patch', patchContentType); isPrettyPrint(query, userAgent).
 * 3. Body:   decodeObjectBody(bytes, kind) for create/update; decodePatchBody(bytes, 'merge' | 'json') for patches;
 *            mergePatch(current, patch) to apply a merge patch (depth-safe, `__proto__` is data);
 *            stringifyJSON(value) to write objects back at any depth.
 * 4. Meta:   validateObjectMeta(metadata, OBJECT_META_RULES.namespacedCustomResource) on create,
 *            validateObjectMetaUpdate(next, old) on update; objectMetaRefusal(groupKind, metadata, errs) makes the 422.
 *            Run these after defaulting and name generation, before Knative's own validation.
 * 5. List:   plan = planList(options, { current, oldest }); read the items as of plan.readAt; then
 *            takePage(items, plan, { listNamespace, matches }) gives items, resourceVersion, continue and
 *            remainingItemCount for ListMeta. matches(obj) = options.labelSelector.matches(obj.metadata.labels)
 *            && options.fieldSelector.matches(kind.fields(obj)).
 * 6. Watch:  planWatch(options.resourceVersion, { current, oldestEvent }, options.sendInitialEvents); filter events
 *            with the same matches(); a thrown 410 goes out as the watch's ERROR event.
 */

export * from './errors.ts';
export * from './json-safety.ts';
export * from './names.ts';
export * from './objectmeta.ts';
export * from './paging.ts';
export * from './query.ts';
export * from './selectors.ts';
export { goQuote } from './gotext.ts';
