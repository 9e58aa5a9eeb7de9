"""A Jacobian matrix built one row at a time with backward(v, retain_graph=True).

For a vector output y, y.backward(v) computes the vector-Jacobian product v^T J. With v the
one-hot vector for output i, that product is row i of J, the gradient of y_i. Each row needs a
backward pass through the same graph, so every pass but the last keeps it (retain_graph=True).

    y1 = x1^2 + 3 x2,  y2 = x2^2 + 2 x1  =>  J = [[2 x1, 3], [2, 2 x2]] = [[4, 3], [2, 6]] at (2, 3)
"""

import ember as torch


def g(x):
    """The map above, from a 1 x 2 input to a 1 x 2 output."""
    y = torch.zeros(1, 2)
    # writing into y records each entry's history, so y depends on x
    y[0, 0] = x[0, 0] ** 2 + 3 * x[0, 1]
    y[0, 1] = x[0, 1] ** 2 + 2 * x[0, 0]
    return y


def jacobian_by_rows(func, x):
    """J[i, j] = d y_i / d x_j for y = func(x), by one backward pass per output element."""
    x = x.detach().requires_grad_()
    y = func(x)
    rows = []
    for i in range(y.numel()):
        v = torch.zeros(y.numel())
        v[i] = 1.0
        y.backward(v.view_as(y), retain_graph=i < y.numel() - 1)
        rows.append(x.grad.flatten().clone())
        # backward() adds into .grad, so clear it before the next row
        x.grad.zero_()
    return torch.stack(rows)


def main(x=((2.0, 3.0),)):
    """Return (J by rows, J from autograd.functional.jacobian or None)."""
    x = torch.tensor(x)
    by_rows = jacobian_by_rows(g, x)
    print(f"Jacobian by rows:\n{by_rows}")

    # autograd.functional.jacobian does the same loop for you (missing in old torch versions)
    functional = getattr(torch.autograd, "functional", None)
    reference = None
    if functional is not None:
        # its result has the output's shape followed by the input's: (1, 2, 1, 2) here
        reference = functional.jacobian(g, x).reshape(by_rows.shape)
        print(f"autograd.functional.jacobian agrees: {torch.allclose(by_rows, reference)}")
    return by_rows, reference


if __name__ == "__main__":
    main()
