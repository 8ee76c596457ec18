/** A dataset problem (bad file, bad option), phrased as one line for the person who caused it. */
export class DatasetError extends Error {
  override readonly name = "DatasetError";
}
