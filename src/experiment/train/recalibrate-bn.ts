import { BatchNorm } from "../../core/layers/batch-norm.ts";
import { Mat } from "../../core/mat.ts";
import type { Network, NetworkHooks } from "../../core/network.ts";

/**
 * Recompute every batch-norm layer's running mean and variance from the FINAL weights, over
 * the whole training set ("precise BN", Wu & Johnson 2021; torch.optim.swa_utils.update_bn).
 *
 * Why the trainer's final evaluation (and so doctor) needs it: the running averages (momentum
 * 0.1, PyTorch's default) mix the statistics of the last ~10-20 steps' weights. In a deep network trained with a large step
 * the deeper layers' statistics move faster than that window, so eval mode normalizes with
 * stale numbers: the 20-layer sigmoid net with batch norm at lr 0.1 reaches minibatch loss
 * ~0.2 but eval-mode loss 1.3 on the same training set. Judging batch norm by that number
 * measures the lag of the averages, not what the network learned.
 *
 * The pass forwards the training set in train mode (batch statistics, exactly as in
 * training) in chunks of `batch` rows, dropping a last partial chunk, and sets the running
 * mean to the mean of the chunk means and the running variance to the unbiased variance of
 * all rows seen (mean of the chunk variances + variance of the chunk means, times n/(n-1)).
 * Only training data is used, and no weight changes. Returns the number of batch-norm layers
 * recalibrated (0: nothing to do, the network is left untouched).
 */
export function recalibrateBatchNorm(network: Network, X: Mat, batch: number): number {
  const norms = network.blocks.map((b) => (b.norm instanceof BatchNorm ? b.norm : null));
  if (norms.every((n) => n === null)) return 0;
  const chunks = Math.floor(X.rows / batch);
  if (chunks < 1 || batch < 2) return 0;
  // Per layer: every chunk's batch means (kept, so the variance of the means is computed in
  // two passes, without cancellation) and the running sum of the chunks' biased variances.
  const seen = norms.map((n) =>
    n ? { means: new Float64Array(chunks * n.dim), varSum: new Float64Array(n.dim) } : null,
  );
  let current = 0;
  const hook: NetworkHooks = {
    afterBlockForward(index) {
      const bn = norms[index];
      const acc = seen[index];
      if (!bn || !acc) return;
      const o = current * bn.dim;
      for (let j = 0; j < bn.dim; j++) {
        acc.means[o + j] = bn.lastMean.data[j]!;
        acc.varSum[j] = acc.varSum[j]! + bn.lastVar.data[j]!;
      }
    },
  };
  const chunk = Mat.zeros(batch, X.cols, network.dtype);
  network.hooks.push(hook);
  try {
    for (let c = 0; c < chunks; c++) {
      current = c;
      const offset = c * batch * X.cols;
      for (let i = 0; i < batch * X.cols; i++) chunk.data[i] = X.data[offset + i]!;
      network.forward(chunk, "train");
    }
  } finally {
    network.hooks.splice(network.hooks.indexOf(hook), 1);
  }
  const n = chunks * batch;
  let count = 0;
  norms.forEach((bn, l) => {
    const acc = seen[l];
    if (!bn || !acc) return;
    count++;
    for (let j = 0; j < bn.dim; j++) {
      let mean = 0;
      for (let c = 0; c < chunks; c++) mean += acc.means[c * bn.dim + j]!;
      mean /= chunks;
      let between = 0;
      for (let c = 0; c < chunks; c++) between += (acc.means[c * bn.dim + j]! - mean) ** 2;
      const biased = acc.varSum[j]! / chunks + between / chunks;
      bn.runningMean.data[j] = mean;
      bn.runningVar.data[j] = (biased * n) / (n - 1);
    }
  });
  return count;
}
