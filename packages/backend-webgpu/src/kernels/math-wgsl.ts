// Scalar WGSL functions the elementwise kernels share. WGSL has no erf; tanh is written out because some
// implementations' builtin overflows to NaN for large |x|.

/**
 * erf: Abramowitz & Stegun 7.1.26, |error| ≤ 1.5·10⁻⁷ — below float32 resolution for the conformance
 * tolerance (10⁻⁶) and for GELU's ½x(1 + erf) on activations of any size.
 */
export const MATH_WGSL = /* wgsl */ `
fn erf_(x: f32) -> f32 {
  let a = abs(x);
  let t = 1.0 / (1.0 + 0.3275911 * a);
  let y = 1.0 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-a * a);
  return select(y, -y, x < 0.0);
}
fn tanh_(x: f32) -> f32 {
  let e = exp(-2.0 * abs(x));
  let t = (1.0 - e) / (1.0 + e);
  return select(t, -t, x < 0.0);
}
fn sigmoid_(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
fn gelu_(x: f32) -> f32 { return 0.5 * x * (1.0 + erf_(x * 0.7071067811865476)); }
fn gelu_tanh_(x: f32) -> f32 { return 0.5 * x * (1.0 + tanh_(0.7978845608028654 * (x + 0.044715 * x * x * x))); }
`;

/** WGSL expressions of `x` for transformers' activation names. */
export const ACTIVATION_EXPR: Record<string, string> = {
  gelu: "gelu_(x)",
  gelu_new: "gelu_tanh_(x)",
  gelu_pytorch_tanh: "gelu_tanh_(x)",
  relu: "max(x, 0.0)",
  tanh: "tanh_(x)",
  sigmoid: "sigmoid_(x)",
  linear: "x",
};
