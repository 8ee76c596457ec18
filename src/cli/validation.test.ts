import { describe, expect, it } from "vitest";
import { main } from "./main.ts";
import { captureOutput } from "./test-output.ts";

async function run(...argv: string[]) {
  const output = captureOutput();
  const code = await main(argv, output);
  return { code, stdout: output.stdout(), stderr: output.stderr() };
}

/** Every case: exit 2, nothing on stdout, exactly this one line on stderr. */
async function refused(argv: readonly string[], line: RegExp): Promise<void> {
  const r = await run(...argv);
  expect(r.code, argv.join(" ")).toBe(2);
  expect(r.stdout, argv.join(" ")).toBe("");
  expect(r.stderr, argv.join(" ")).toMatch(/^gradscope: [^\n]+\n$/);
  expect(r.stderr, argv.join(" ")).toMatch(line);
}

describe("validation wording and silent no-ops", () => {
  it("a range error names the bound that was crossed", async () => {
    await refused(
      ["probe", "--weight-var", "1e308"],
      /--weight-var must be <= 1000000 \(got '1e308'\)/,
    );
    await refused(["probe", "--weight-var", "-1"], /--weight-var must be >= 0 \(got '-1'\)/);
    await refused(["probe", "--depth", "0"], /--depth must be between 1 and 10000/);
  });

  it("numbers are decimal: hex, binary and octal literals are refused", async () => {
    for (const v of ["0x10", "0b101", "0o7", "Infinity", "1_000"]) {
      await refused(
        ["probe", "--width", v],
        new RegExp(`--width must be a number \\(got '${v}'\\)`),
      );
    }
    await refused(["train", "--lr", "0x10"], /--lr must be a number/);
  });

  it("flags that would change nothing are refused, naming what they need", async () => {
    const cases: [string[], RegExp][] = [
      [
        ["probe", "--init", "he-normal", "--weight-var", "2"],
        /--weight-var has no effect without --init normal, uniform, orthogonal, identity \(he-normal sets its own scale; --gain scales any init\): remove it$/m,
      ],
      [["probe", "--slope", "0.2"], /--slope has no effect without --activation leaky-relu/],
      [["probe", "--branch-scale", "0.5"], /--branch-scale has no effect without --residual/],
      [["train", "--warmup-steps", "5"], /--warmup-steps has no effect without --schedule warmup/],
      [
        ["train", "--schedule", "cosine", "--step-size", "5"],
        /--step-size has no effect without --schedule step/,
      ],
      [["train", "--gamma", "0.5"], /--gamma has no effect without --schedule step/],
      [["train", "--min-lr", "0.01"], /--min-lr has no effect without --schedule cosine/],
      [
        ["train", "--clip-threshold", "3"],
        /--clip-threshold has no effect without --clip global-norm, layer-norm or value/,
      ],
      [
        ["train", "--schedule", "cosine", "--lr", "0.01", "--min-lr", "0.1"],
        /--min-lr \(0\.1\) must be at most the learning rate --lr \(0\.01\)/,
      ],
      [
        ["train", "--schedule", "cosine", "--min-lr", "1"],
        /--min-lr \(1\) must be at most the learning rate --lr \(0\.1, sgd's default\)/,
      ],
    ];
    for (const [argv, line] of cases) await refused(argv, line);
    // the same flags where they apply are taken, and a default given explicitly is harmless
    const ok = await run(
      "probe",
      "--depth",
      "3",
      "--width",
      "8",
      "--activation",
      "leaky-relu",
      "--slope",
      "0.2",
      "--weight-var",
      "1",
      "--init",
      "he-normal",
    );
    expect(ok.code).toBe(0);
  });

  it("an unknown command is named with the nearest command; control characters are escaped", async () => {
    await refused(
      ["tran"],
      /^gradscope: unknown command 'tran' \(did you mean 'train'\?\); commands: probe, /,
    );
    await refused(["foo"], /^gradscope: unknown command 'foo'; commands: /);
    const r = await run("\u001b[2J\u001b[31mboom");
    expect(r.stderr.includes("\u001b")).toBe(false);
    expect(r.stderr).toContain("\\u001b[2J");
    const long = await run("probe", "--activation", `x${"\u0007".repeat(500)}`);
    expect(long.stderr.includes("\u0007")).toBe(false);
    expect(long.stderr.length).toBeLessThan(400);
  });
});
