/**
 * Why a case's measured verdict differs from its label: the physics, written after the
 * benchmark ran (the labels were not changed to match). run.ts prints these beside each
 * disagreement; docs/METRICS.md ("Diagnosis benchmark") lists them.
 */
export const EXPLANATIONS: Readonly<Record<string, string>> = {
  "init/finite-width/relu-he-normal-d200-n64":
    "Finite width (Hanin 2018; Hanin & Nica 2019). He init keeps E[(dL/dz)^2] constant in mean field, but at width n the log of a single network's mean-square gradient drifts by about -5/(2n) per ReLU layer (its expectation is preserved by rare large values, its typical value shrinks). Over 198 layers at n = 64 that is -7.7 nats, a span of about 4e-4; measured 7.1e-4. The verdict describes this network correctly; the infinite-width label does not apply at depth/width ~3 (the case is in the benchmark to show that limit).",
  "init/finite-width/relu-he-normal-d100-n32":
    "Finite width, as for d200-n64: -5/(2 * 32) per layer over 98 layers is -7.7 nats, a predicted typical span of about 5e-4 against the measured 8e-4 and the mean-field 1. depth/width ~3 is outside the labelling rule's domain.",
  "init/act-init/gelu-he-normal-d20-n128":
    "Near-marginal length map: GELU at sigma_w^2 = 2 has L(q) ~ q for large q (it behaves like a ReLU with He init there) and L(q) ~ q/2 for small q, so mean field predicts q decaying slowly from 2 to 5e-3 over 20 layers and chi(q) falling from ~1 to ~0.5 on the way: span 7.8e-3, just under the 1e-2 cut. Where the map is this flat the finite-width fluctuations of q are not damped: at width 128 the measured q only falls to 2.6e-2 of layer 2 and the span is 0.27 (seed 0) or 0.07 (seed 1); at width 512 0.048 / 0.041, at width 1024 0.026 / 0.021, approaching the mean-field 7.8e-3 as the width grows. Same network, the verdict is right about it; the label is the infinite-width limit.",
  "train/healthy/spirals-relu-he-d6-adam":
    "A converged classifier read by its last snapshot. By step 300 the minibatch loss is ~1e-3 (test accuracy 99%); most examples no longer carry gradient, and the few that do sit on the spirals' decision boundary, where the trained function is steep, so their backpropagated gradient grows ~4x per layer in mean square: the last snapshot's span is 332x. That imbalance is real and persistent (span > 1e2 in 89 of the 140 records after step 100 of the 1500-step run), but nothing explodes: the global gradient norm is 30x below its initial value, the weight norms moved by ~10%, and the net keeps learning. The verdict applies the initialization cuts to the last snapshot of a trained net (judgeRun step 3).",
  "train/exploding/spirals-tanh-w4-d20-sgd-lr1":
    "Exploding at initialization, saturated afterwards. tanh at sigma_w^2 = 4 is chaotic (span 2.6e3 at the first step); the first steps at lr 1 push the pre-activations into tanh's flat tails, after which the gradient vanishes (span 3e-13 at step 300) and the loss never leaves chance. There is no NaN/Inf and the global gradient norm only falls, so judgeRun falls through to the last snapshot: vanishing. The label names the cause (and the known fix, critical init with a tenth of the rate, learns); the diagnosis' own RELATIONS already count vanishing and saturation as consequences of an explosion, but the run verdict looks back only for NaN/Inf and norm growth.",
  "train/exploding/spirals-tanh-w4-d20-momentum-lr0.1":
    "As spirals-tanh-w4-d20-sgd-lr1: chaotic at initialization (span 2.6e3), saturated by momentum's large effective steps (span 9e-12 at step 300), never above chance, no NaN and no growth of the global gradient norm; the run verdict reads only the last snapshot (vanishing).",
};
