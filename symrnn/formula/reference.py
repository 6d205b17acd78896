"""The one-screen reference of the formula language, shown by ``symrnn verify --help`` (and in the README)."""

from __future__ import annotations

LANGUAGE = r"""formula language (a LaTeX subset; Unicode ∂ Σ ∏ ⊙ ᵀ − ŷ δ ≤ and $...$, \[...\] are accepted):
  quantities  J J_t L \hat{y}_t o_t y_t s_t h_t u_t a_t x_t W U V b c W_{xh} W_{hh} W_{hy} W_{hq} b_h b_y
              \delta_t; wrappers \underline \mathbf \boldsymbol \bar \vec; s(t), h^{(t)}; P = every parameter
  indices     t k m i j n, z T \tau (the length), t-1, k+1, 0, 2 ...; free indices are checked over their range
  derivatives \frac{\partial A}{\partial B}  \frac{dA}{dB}  \frac{\mathrm{d}A}{\mathrm{d}B}  \partial A/\partial B
              \frac{\partial}{\partial W} J   \nabla_{W} J   \partial^+ (immediate: previous state held fixed)
  sums        \sum_{k=0}^{t}  \sum_t  \sum (index inferred)  \sum_{1 \leq k \leq t}  \prod_{m=k+1}^{t}  \prod_{t \geq i > k}
  products    juxtaposition, \cdot, \circ (matrix) bind tighter than \odot (entrywise): a \odot B v = a \odot (B v)
  transpose   ^T ^\top ^{\intercal} ^\mathsf{T} ^{T};  powers h_t^2, f^2(u) = f(u)^2, (W^T)^{t-i}
  functions   f f' f^\prime \tanh \tanh' \sigma \sigma' \exp \log \max(0, x) \operatorname{diag} \text{diag}
              \operatorname{softmax} \ell(o_t, y_t) or l(o_t, y_t) (the loss); \mathbf{1} (ones) \mathbb{1}, I
  numbers     2, 0.5, \frac{1}{2}, \frac{1}{T}; L = \frac{1}{T} \sum_t l(o_t, y_t) defines d2l's averaged loss
  statements  A = B;  A = B = C;  several separated by ; or \\ (definitions such as \delta_t = ... first)
meaning: ∂ between states is the total Jacobian; ∂ of a state w.r.t. a parameter the immediate one; d total.
examples:
  symrnn verify '\frac{\partial J}{\partial V} = \sum_{t=1}^{z} (\hat{y}_t - y_t) s_t^T'
  symrnn verify '\frac{\partial s_t}{\partial s_k} = \prod_{m=k+1}^{t} \operatorname{diag}(f'(u_m)) U'
  symrnn verify --notation d2l '\frac{\partial L}{\partial h_t} = W_{hh}^T \text{diag}(1 - h_{t+1}^2) \frac{\partial L}{\partial h_{t+1}} + W_{hq}^T \frac{\partial L}{\partial o_t}'
  symrnn verify --n 1 --notation d2l '\frac{\partial h_t}{\partial h_{t-1}} = (1 - f^2(W_{xh} x_t + W_{hh} h_{t-1})) W_{hh}'
  symrnn verify --python my_bptt.py:rnn_backward --style cs231n
exit status: 0 holds, 1 fails or undecided, 2 bad input or over a limit (one line on stderr)."""
