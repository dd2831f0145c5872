/**
 * Builds packages/client/dist/tessera-client.js (one ES module for browsers) and resolves to its path.
 *
 * @example
 * const bundlePath = await buildClientBundle()
 */
export function buildClientBundle(options?: { readonly outfile?: string }): Promise<string>
