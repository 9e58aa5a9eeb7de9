"""The engine's ready queue: a binary heap with the exact pop order of torch's
std::priority_queue."""

from __future__ import annotations


class _ReadyQueue:
    """Ready nodes, highest ``_seq`` first.

    Ties (several AccumulateGrad nodes ready at once) come out in the order of the binary heap
    behind torch's std::priority_queue (GCC's algorithm: push sifts up; pop moves the hole down
    to a leaf along the larger child, the right one on ties, then sifts the last element up), so
    leaf hooks fire in the same order as in torch.
    """

    def __init__(self):
        self._heap = []

    def __bool__(self):
        return bool(self._heap)

    def push(self, node):
        heap = self._heap
        heap.append(node)
        self._sift_up(len(heap) - 1, node)

    def pop(self):
        heap = self._heap
        top, last = heap[0], heap.pop()
        if heap:
            n, hole = len(heap), 0
            while 2 * hole + 2 < n:
                child = 2 * hole + 2
                if heap[child]._seq < heap[child - 1]._seq:
                    child -= 1
                heap[hole], hole = heap[child], child
            if 2 * hole + 2 == n:  # a last hole with only a left child
                heap[hole], hole = heap[n - 1], n - 1
            self._sift_up(hole, last)
        return top

    def _sift_up(self, hole, node):
        heap = self._heap
        while hole > 0:
            parent = (hole - 1) // 2
            if not heap[parent]._seq < node._seq:
                break
            heap[hole], hole = heap[parent], parent
        heap[hole] = node
