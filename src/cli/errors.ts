/**
 * A problem with what the user asked for. The CLI prints its message as one line
 * (`gradscope: <message>`) and exits with code 2; nothing already written is touched.
 */
export class UsageError extends Error {
  override readonly name = "UsageError";
}
