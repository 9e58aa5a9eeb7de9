"""torchvision.datasets: MNIST and relatives, CIFAR, SVHN, folder datasets and FakeData, with
torchvision's classes, arguments, attributes and on-disk layouts; ``download=True`` fetches
and verifies the original files."""

from ember.vision.datasets.cifar import CIFAR10, CIFAR100
from ember.vision.datasets.fakedata import FakeData
from ember.vision.datasets.folder import DatasetFolder, ImageFolder
from ember.vision.datasets.mnist import EMNIST, KMNIST, MNIST, QMNIST, FashionMNIST
from ember.vision.datasets.svhn import SVHN
from ember.vision.datasets.vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100", "EMNIST", "KMNIST", "MNIST", "QMNIST", "SVHN", "DatasetFolder",
           "FakeData", "FashionMNIST", "ImageFolder", "VisionDataset"]
