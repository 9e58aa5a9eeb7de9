"""L-BFGS with an optional strong-Wolfe line search (torch.optim.LBFGS).

Written with ember tensor operations, as torch's is, so the scalars it keeps (``t``, ``ro``,
``H_diag``, ...) are 0-dim tensors of the parameters' dtype exactly where torch's are.
"""

from __future__ import annotations

from ember._ops.creation import zeros
from ember._ops.join import cat
from ember._tensor import Tensor
from ember.autograd.grad_mode import enable_grad, no_grad
from ember.optim._single_tensor import _value
from ember.optim.optimizer import Optimizer

__all__ = ["LBFGS"]


def _num(x):
    """A 0-dim tensor used as ``alpha`` is read as a number, as torch's Scalar conversion does."""
    return x.item() if isinstance(x, Tensor) else x


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through two points with values and slopes, clamped to
    ``bounds`` (torch's port of minFunc's polyinterp)."""
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = d2_square.sqrt()
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


class _Bracket:
    """The line search's interval: step lengths, values, gradients and directional slopes."""

    def __init__(self, t, f, g, gtd):
        self.t, self.f, self.g, self.gtd = t, f, g, gtd

    def low_high(self):
        return (0, 1) if self.f[0] <= self.f[-1] else (1, 0)

    def set(self, i, t, f, g, gtd):
        self.t[i], self.f[i], self.g[i], self.gtd[i] = t, f, g, gtd


def _strong_wolfe(obj_func, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """A line search for a step satisfying the strong Wolfe conditions (torch's port of
    minFunc's lswolfe): bracket, then zoom. Returns (f, g, t, function evaluations)."""
    d_norm = d.abs().max()
    g = g.clone()
    f_new, g_new = obj_func(x, t, d)
    evals, ls_iter, gtd_new = 1, 0, g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    bracket, done = None, False
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket = _Bracket([t_prev, t], [f_prev, f_new], [g_prev, g_new.clone()],
                               [gtd_prev, gtd_new])
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, done = _Bracket([t], [f_new], [g_new], [gtd_new]), True
            break
        if gtd_new >= 0:
            bracket = _Bracket([t_prev, t], [f_prev, f_new], [g_prev, g_new.clone()],
                               [gtd_prev, gtd_new])
            break
        min_step, max_step, tmp = t + 0.01 * (t - t_prev), t * 10, t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new.clone(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        evals, ls_iter, gtd_new = evals + 1, ls_iter + 1, g_new.dot(d)
    if ls_iter == max_ls:
        bracket = _Bracket([0, t], [f, f_new], [g, g_new], [None, None])
    f_new, g_new, t, zoom_evals = _zoom(obj_func, x, d, f, gtd, bracket, done, ls_iter, d_norm,
                                        c1, c2, tolerance_change, max_ls)
    return f_new, g_new, t, evals + zoom_evals


def _zoom(obj_func, x, d, f, gtd, bracket, done, ls_iter, d_norm, c1, c2, tolerance_change,
          max_ls):
    """Shrink the bracket until a point satisfies the strong Wolfe conditions."""
    evals, insuf_progress = 0, False
    low, high = bracket.low_high()
    while not done and ls_iter < max_ls:
        if abs(bracket.t[1] - bracket.t[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket.t[0], bracket.f[0], bracket.gtd[0], bracket.t[1],
                               bracket.f[1], bracket.gtd[1])
        t, insuf_progress = _away_from_edges(t, bracket.t, insuf_progress)
        f_new, g_new = obj_func(x, t, d)
        evals, ls_iter, gtd_new = evals + 1, ls_iter + 1, g_new.dot(d)
        if f_new > (f + c1 * t * gtd) or f_new >= bracket.f[low]:
            # Armijo condition not satisfied, or not lower than the lowest point
            bracket.set(high, t, f_new, g_new.clone(), gtd_new)
            low, high = bracket.low_high()
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket.t[high] - bracket.t[low]) >= 0:
                bracket.set(high, bracket.t[low], bracket.f[low], bracket.g[low],
                            bracket.gtd[low])
            bracket.set(low, t, f_new, g_new.clone(), gtd_new)
    return bracket.f[low], bracket.g[low], bracket.t[low], evals


def _away_from_edges(t, bracket, insuf_progress):
    """If the trial step is too close to an end of the bracket (twice, or beyond it), move it
    to 10% of the bracket's length from that end."""
    eps = 0.1 * (max(bracket) - min(bracket))
    if min(max(bracket) - t, t - min(bracket)) < eps:
        if insuf_progress or t >= max(bracket) or t <= min(bracket):
            if abs(t - max(bracket)) < abs(t - min(bracket)):
                t = max(bracket) - eps
            else:
                t = min(bracket) + eps
            return t, False
        return t, True
    return t, False


class LBFGS(Optimizer):
    """L-BFGS with torch.optim.LBFGS's options, global state (kept, as torch does, under the
    first parameter) and iterates; one parameter group only."""

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = {"lr": lr, "max_iter": max_iter, "max_eval": max_eval,
                    "tolerance_grad": tolerance_grad, "tolerance_change": tolerance_change,
                    "history_size": history_size, "line_search_fn": line_search_fn}
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]
        self._numel_cache = None

    def _numel(self):
        if self._numel_cache is None:
            self._numel_cache = sum(2 * p.numel() if p.is_complex() else p.numel()
                                    for p in self._params)
        return self._numel_cache

    def _gather_flat_grad(self):
        views = []
        for p in self._params:
            if p.grad is None:
                view = zeros(p.numel(), dtype=p.dtype, device=p.device)
            else:
                view = p.grad.reshape(-1)
            if view.is_complex():
                view = _real_flat(view)
            views.append(view)
        return cat(views, 0)

    def _add_grad(self, step_size, update):
        offset = 0
        for p in self._params:
            target = _real_view(p) if p.is_complex() else p
            numel = target.numel()
            target.add_(update[offset:offset + numel].view_as(target), alpha=_num(step_size))
            offset += numel

    def _clone_param(self):
        return [p.clone() for p in self._params]

    def _set_param(self, params_data):
        for p, pdata in zip(self._params, params_data):
            p.copy_(pdata)

    def _directional_evaluate(self, closure, x, t, d):
        self._add_grad(t, d)
        loss = float(closure())
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    @no_grad()
    def step(self, closure):
        """Run up to ``max_iter`` L-BFGS iterations; ``closure`` re-evaluates the model and
        returns the loss (required). Returns the loss from the first evaluation."""
        closure = enable_grad()(closure)
        group = self.param_groups[0]
        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        orig_loss = closure()
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if flat_grad.abs().max() <= group["tolerance_grad"]:
            return orig_loss
        run = _Run(self, closure, group, state, float(orig_loss), flat_grad)
        run.iterate()
        run.save()
        return orig_loss


def _real_view(p):
    from ember._ops.complex import view_as_real

    return view_as_real(p)


def _real_flat(view):
    return _real_view(view).reshape(-1)


class _Run:
    """One call of LBFGS.step: the iterations, with the state carried between calls."""

    _KEYS = ("d", "t", "old_dirs", "old_stps", "ro", "H_diag", "prev_flat_grad", "prev_loss")

    def __init__(self, optimizer, closure, group, state, loss, flat_grad):
        self.opt, self.closure, self.group, self.state = optimizer, closure, group, state
        self.loss, self.flat_grad, self.current_evals = loss, flat_grad, 1
        for key in self._KEYS:
            setattr(self, key, state.get(key))

    def save(self):
        for key in self._KEYS:
            self.state[key] = getattr(self, key)

    def iterate(self):
        group, state = self.group, self.state
        n_iter = 0
        while n_iter < group["max_iter"]:
            n_iter += 1
            state["n_iter"] += 1
            self._direction()
            if self.prev_flat_grad is None:
                self.prev_flat_grad = self.flat_grad.clone()
            else:
                self.prev_flat_grad.copy_(self.flat_grad)
            self.prev_loss = self.loss
            lr = _value(group["lr"])
            if state["n_iter"] == 1:
                self.t = min(1.0, 1.0 / self.flat_grad.abs().sum()) * lr
            else:
                self.t = lr
            gtd = self.flat_grad.dot(self.d)
            if gtd > -group["tolerance_change"]:
                break  # the directional derivative is below tolerance
            opt_cond, ls_func_evals = self._move(gtd, last=n_iter == group["max_iter"])
            self.current_evals += ls_func_evals
            state["func_evals"] += ls_func_evals
            if self._should_stop(n_iter, opt_cond):
                break

    def _direction(self):
        """The descent direction: -grad at first, then the two-loop L-BFGS recursion."""
        if self.state["n_iter"] == 1:
            self.d = self.flat_grad.neg()
            self.old_dirs, self.old_stps, self.ro, self.H_diag = [], [], [], 1
            return
        y = self.flat_grad.sub(self.prev_flat_grad)
        s = self.d.mul(self.t)
        ys = y.dot(s)
        if ys > 1e-10:
            if len(self.old_dirs) == self.group["history_size"]:
                self.old_dirs.pop(0)
                self.old_stps.pop(0)
                self.ro.pop(0)
            self.old_dirs.append(y)
            self.old_stps.append(s)
            self.ro.append(1.0 / ys)
            self.H_diag = ys / y.dot(y)
        self.d = self._two_loop()

    def _two_loop(self):
        num_old = len(self.old_dirs)
        if "al" not in self.state:
            self.state["al"] = [None] * self.group["history_size"]
        al = self.state["al"]
        q = self.flat_grad.neg()
        for i in range(num_old - 1, -1, -1):
            al[i] = self.old_stps[i].dot(q) * self.ro[i]
            q.add_(self.old_dirs[i], alpha=-_num(al[i]))
        r = q.mul(self.H_diag)
        for i in range(num_old):
            be_i = self.old_dirs[i].dot(r) * self.ro[i]
            r.add_(self.old_stps[i], alpha=_num(al[i] - be_i))
        return r

    def _move(self, gtd, last):
        """Take the step: along a strong-Wolfe line search, or a fixed step of length t
        (re-evaluating the function unless this is the last iteration)."""
        opt, group = self.opt, self.group
        if group["line_search_fn"] is not None:
            if group["line_search_fn"] != "strong_wolfe":
                raise RuntimeError("only 'strong_wolfe' is supported")
            x_init = opt._clone_param()

            def obj_func(x, t, d):
                return opt._directional_evaluate(self.closure, x, t, d)

            self.loss, self.flat_grad, self.t, evals = _strong_wolfe(
                obj_func, x_init, self.t, self.d, self.loss, self.flat_grad, gtd,
                max_ls=group["max_eval"] - self.current_evals)
            opt._add_grad(self.t, self.d)
            return self.flat_grad.abs().max() <= group["tolerance_grad"], evals
        opt._add_grad(self.t, self.d)
        if last:
            return False, 0
        self.loss = float(self.closure())
        self.flat_grad = opt._gather_flat_grad()
        return self.flat_grad.abs().max() <= group["tolerance_grad"], 1

    def _should_stop(self, n_iter, opt_cond):
        group = self.group
        return (n_iter == group["max_iter"] or self.current_evals >= group["max_eval"]
                or bool(opt_cond)
                or self.d.mul(self.t).abs().max() <= group["tolerance_change"]
                or abs(self.loss - self.prev_loss) < group["tolerance_change"])
