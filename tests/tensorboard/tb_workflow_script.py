"""PyTorch's TensorBoard tutorial workflow (writer, images, graph, projector, loss per step,
predictions figure, PR curves per class), written for torch. The tests run it with torch and,
unchanged, with ``python -m ember.compat``, and compare the two logs.

usage: tb_workflow_script.py LOG_DIR
"""

import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.utils.tensorboard import SummaryWriter

classes = ("T-shirt/top", "Trouser", "Pullover")


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.fc1 = nn.Linear(4 * 12 * 12, 16)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = x.view(-1, 4 * 12 * 12)
        return self.fc2(F.relu(self.fc1(x)))


def plot_classes_preds(net, images, labels):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    probs = F.softmax(net(images), dim=1)
    fig = plt.figure(figsize=(4, 1.5), dpi=30)
    for idx in range(3):
        ax = fig.add_subplot(1, 3, idx + 1, xticks=[], yticks=[])
        ax.imshow(images[idx, 0].numpy(), cmap="Greys")
        ax.set_title(f"{classes[int(probs[idx].argmax())]}\n{classes[int(labels[idx])]}")
    return fig


def main(log_dir, with_figure):
    torch.manual_seed(0)
    raw = (torch.rand(12, 28, 28) * 255).to(torch.uint8)
    labels = torch.randint(0, 3, (12,))
    images = raw.unsqueeze(1).float() / 255

    writer = SummaryWriter(log_dir)
    writer.add_images("four_fashion_mnist_images", images[:4])
    writer.add_image("first_image", images[0])
    net = Net()
    writer.add_graph(net, images)
    features = raw.view(-1, 28 * 28)
    writer.add_embedding(features.float(), metadata=[classes[lab] for lab in labels],
                         label_img=raw.unsqueeze(1))

    optimizer = optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    for step in range(4):
        optimizer.zero_grad()
        loss = F.cross_entropy(net(images), labels)
        loss.backward()
        optimizer.step()
        writer.add_scalar("training_loss", loss.item(), step)
        if with_figure and step == 3:
            writer.add_figure("predictions vs. actuals", plot_classes_preds(net, images, labels),
                              global_step=step)

    with torch.no_grad():
        probs = F.softmax(net(images), dim=1)
    for class_index in range(3):
        writer.add_pr_curve(classes[class_index], labels == class_index, probs[:, class_index],
                            global_step=0)
    writer.close()


if __name__ == "__main__":
    main(sys.argv[1], with_figure=len(sys.argv) > 2 and sys.argv[2] == "--figure")
