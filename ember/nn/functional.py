"""ember.nn.functional: the functional forms of the layers (torch.nn.functional)."""

# -- activations, linear, softmax family (nn core owner) --------------------------------------
from ember.nn._functional_core import (  # noqa: F401
    bilinear,
    celu,
    celu_,
    cosine_similarity,
    elu,
    elu_,
    gelu,
    glu,
    hardshrink,
    hardsigmoid,
    hardswish,
    hardtanh,
    hardtanh_,
    leaky_relu,
    leaky_relu_,
    linear,
    log_softmax,
    logsigmoid,
    mish,
    normalize,
    one_hot,
    prelu,
    relu,
    relu6,
    relu_,
    selu,
    selu_,
    sigmoid,
    silu,
    softmax,
    softmin,
    softplus,
    softshrink,
    softsign,
    tanh,
    tanhshrink,
    threshold,
    threshold_,
)

# isort: split
# -- convolution, pooling, padding, interpolation ---------------------------------------------
from ember._ops.adaptive import (  # noqa: E402,F401
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    adaptive_avg_pool3d,
    adaptive_max_pool1d,
    adaptive_max_pool2d,
    adaptive_max_pool3d,
    lp_pool1d,
    lp_pool2d,
    lp_pool3d,
    max_unpool1d,
    max_unpool2d,
    max_unpool3d,
)
from ember._ops.affine_grid import affine_grid  # noqa: E402,F401
from ember._ops.conv import (  # noqa: E402,F401
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
)
from ember._ops.fold import (  # noqa: E402,F401
    channel_shuffle,
    fold,
    pixel_shuffle,
    pixel_unshuffle,
    unfold,
)
from ember._ops.grid_sample import grid_sample  # noqa: E402,F401
from ember._ops.pad import pad  # noqa: E402,F401
from ember._ops.pool import (  # noqa: E402,F401
    avg_pool1d,
    avg_pool2d,
    avg_pool3d,
    max_pool1d,
    max_pool2d,
    max_pool3d,
)
from ember._ops.resample import (  # noqa: E402,F401
    interpolate,
    upsample,
    upsample_bilinear,
    upsample_nearest,
)

# -- losses, normalisation, dropout, embedding ------------------------------------------------
# isort: split
from ember._ops.ctc import ctc_loss  # noqa: E402,F401
from ember._ops.distance import pairwise_distance, pdist  # noqa: E402,F401
from ember._ops.dropout import (  # noqa: E402,F401
    alpha_dropout,
    dropout,
    dropout1d,
    dropout2d,
    dropout3d,
    feature_alpha_dropout,
)
from ember._ops.embedding import embedding, embedding_bag  # noqa: E402,F401
from ember._ops.loss import (  # noqa: E402,F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    nll_loss,
)
from ember._ops.loss_margin import (  # noqa: E402,F401
    cosine_embedding_loss,
    multi_margin_loss,
    multilabel_margin_loss,
    multilabel_soft_margin_loss,
    triplet_margin_loss,
    triplet_margin_with_distance_loss,
)
from ember._ops.loss_pointwise import (  # noqa: E402,F401
    gaussian_nll_loss,
    hinge_embedding_loss,
    huber_loss,
    kl_div,
    l1_loss,
    margin_ranking_loss,
    mse_loss,
    poisson_nll_loss,
    smooth_l1_loss,
    soft_margin_loss,
)
from ember._ops.norm import (  # noqa: E402,F401
    batch_norm,
    group_norm,
    instance_norm,
    layer_norm,
    local_response_norm,
    rms_norm,
)
from ember.nn._functional_attention import (  # noqa: E402,F401
    multi_head_attention_forward,
    scaled_dot_product_attention,
)
