// The error a promise rejects with, for assertions on its code and context; a promise that
// resolves instead fails the test.
export async function failure(p: Promise<unknown>): Promise<Error & { code?: string; context?: Record<string, unknown> }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}
