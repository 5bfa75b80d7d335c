/** The extensions of the client error `run` throws, or undefined when it throws nothing. */
export function extensionsOf(run: () => void): { code: string; field?: string } | undefined {
  try {
    run();
  } catch (error) {
    return (error as { extensions: { code: string; field?: string } }).extensions;
  }
  return undefined;
}
