import { describe, expect, it } from "vitest";
import { histogramRole, isLossTag, scalarRole } from "./tags.ts";

describe("tag mapping", () => {
  it("maps gradient histograms to (module, parameter) in every common spelling", () => {
    const grad = (module: string, param: string) => ({ role: "grad", module, param });
    expect(histogramRole("grad/layer1.weight")).toEqual(grad("layer1", "weight"));
    expect(histogramRole("layer1.weight/grad")).toEqual(grad("layer1", "weight"));
    expect(histogramRole("gradients/layers.0.bias")).toEqual(grad("layers.0", "bias"));
    expect(histogramRole("layers.3.weight.grad")).toEqual(grad("layers.3", "weight"));
    expect(histogramRole("fc2.weight_grad")).toEqual(grad("fc2", "weight"));
    expect(histogramRole("gradients/dense_1/kernel")).toEqual(grad("dense_1", "kernel"));
    expect(histogramRole("dense/kernel_0_grad")).toEqual(grad("dense", "kernel"));
    expect(histogramRole("grads/encoder.lstm.weight_ih_l0")).toEqual(
      grad("encoder.lstm", "weight_ih_l0"),
    );
    expect(histogramRole("gradients/fc1")).toEqual(grad("fc1", ""));
  });

  it("maps parameter histograms by their parameter name or a weights/ prefix", () => {
    const param = (module: string, p: string) => ({ role: "param", module, param: p });
    expect(histogramRole("layer1.weight")).toEqual(param("layer1", "weight"));
    expect(histogramRole("weights/dense_0/kernel")).toEqual(param("dense_0", "kernel"));
    expect(histogramRole("dense/kernel:0")).toEqual(param("dense", "kernel"));
    expect(histogramRole("conv1/biases")).toEqual(param("conv1", "biases"));
    expect(histogramRole("weights/layer1")).toEqual(param("layer1", ""));
  });

  it("leaves histograms that name no parameter unmapped", () => {
    expect(histogramRole("activations/layer1")).toBeNull();
    expect(histogramRole("predictions")).toBeNull();
  });

  it("finds the training loss, not held-out losses or loss parts", () => {
    for (const t of [
      "loss",
      "train/loss",
      "Loss/train",
      "train_loss",
      "epoch_loss",
      "batch_loss",
      "losses/total_loss",
    ]) {
      expect(isLossTag(t), t).toBe(true);
    }
    for (const t of [
      "val_loss",
      "loss/val",
      "validation/epoch_loss",
      "test/loss",
      "eval_loss",
      "loss/kl",
      "accuracy",
    ]) {
      expect(isLossTag(t), t).toBe(false);
    }
  });

  it("finds the learning rate and a logged gradient norm", () => {
    expect(scalarRole("lr")).toEqual({ role: "lr" });
    expect(scalarRole("train/learning_rate")).toEqual({ role: "lr" });
    expect(scalarRole("grad_norm")).toEqual({ role: "grad-norm" });
    expect(scalarRole("train/global_grad_norm")).toEqual({ role: "grad-norm" });
    expect(scalarRole("gradients/global_norm")).toEqual({ role: "grad-norm" });
    expect(scalarRole("accuracy")).toBeNull();
  });
});
