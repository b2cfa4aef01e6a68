"""The extended benchmark's models for the PyTorch peer (written here; models.py stays the
unmodified reference copy): nn.models.mlp_bn and nn.models.transformer as m1d builds them.
EXTENDED maps the names that bench.lua's sections and benchmark.lua --models extended use."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class ResMLPBN(nn.Module):  # nn.models.mlp_bn: ResMLP with BatchNorm1d after each hidden linear
    def __init__(self, d_in=40, d_out=10, hidden=100):
        super().__init__()
        self.l1, self.bn1 = nn.Linear(d_in, hidden), nn.BatchNorm1d(hidden)
        self.l2, self.bn2 = nn.Linear(hidden, hidden), nn.BatchNorm1d(hidden)
        self.l3 = nn.Linear(hidden, d_out)

    def forward(self, x):
        h = F.relu(self.bn1(self.l1(x)))
        h = h + F.relu(self.bn2(self.l2(h)))
        return self.l3(h)


class Transformer(nn.Module):
    """nn.models.transformer: each position a token (Linear 1 -> d), learned positions, pre-norm
    encoder layers (batch first, dropout 0), a final LayerNorm, mean over positions, Linear head.
    Parameters in m1d's order (pos, embed, layers, norm, head)."""

    def __init__(self, d=32, heads=4, ff=64, layers=2, length=40, positional=True, d_out=10):
        super().__init__()
        self.pos = nn.Parameter(torch.randn(length, d) * 0.02) if positional else None
        self.embed = nn.Linear(1, d)
        self.layers = nn.ModuleList([nn.TransformerEncoderLayer(
            d, heads, dim_feedforward=ff, dropout=0.0, batch_first=True, norm_first=True) for _ in range(layers)])
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, d_out)

    def forward(self, x):
        h = self.embed(x.reshape(x.shape[0], x.shape[1], 1))
        if self.pos is not None:
            h = h + self.pos
        for layer in self.layers:
            h = layer(h)
        return self.head(self.norm(h).mean(1))


# the extended benchmark's models (benchmark.lua --models extended, bench.lua's sections of
# the same names); a model added on the m1d side is one line here
EXTENDED = {
    "mlp_bn": lambda: ResMLPBN(),
    "transformer": lambda: Transformer(),
}
