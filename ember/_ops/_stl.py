"""libstdc++'s std::nth_element, std::partial_sort and std::sort, and torch's own quickselect,
replayed on a list of (key, index) pairs: which of several equal values torch's CPU kernels
return for topk, kthvalue and mode depends on the exact sequence of their comparisons and moves."""

from __future__ import annotations

import functools

# Only the sequence of comparisons and moves matters here: it decides which of equal keys ends
# where. ``less`` is the comparator torch passes.


def _swap(items, i, j):
    items[i], items[j] = items[j], items[i]


def _median_to_first(items, result, a, b, c, less):
    if less(items[a], items[b]):
        if less(items[b], items[c]):
            _swap(items, result, b)
        elif less(items[a], items[c]):
            _swap(items, result, c)
        else:
            _swap(items, result, a)
    elif less(items[a], items[c]):
        _swap(items, result, a)
    elif less(items[b], items[c]):
        _swap(items, result, c)
    else:
        _swap(items, result, b)


def _partition_pivot(items, first, last, less):
    """Median-of-three pivot moved to ``first``, then Hoare's unguarded partition."""
    _median_to_first(items, first, first + 1, first + (last - first) // 2, last - 1, less)
    pivot, left, right = items[first], first + 1, last
    while True:
        while less(items[left], pivot):
            left += 1
        right -= 1
        while less(pivot, items[right]):
            right -= 1
        if left >= right:
            return left
        _swap(items, left, right)
        left += 1


def _insertion_sort(items, first, last, less, guarded=True):
    for i in range(first + 1, last):
        value = items[i]
        if guarded and less(value, items[first]):
            items[first + 1:i + 1] = items[first:i]
            items[first] = value
            continue
        j = i
        # NOTE: unguarded in libstdc++ (a smaller element always stops it); j > 0 only keeps a
        # comparator that is not a strict weak order (NaN under '<') inside the list
        while j > 0 and less(value, items[j - 1]):
            items[j] = items[j - 1]
            j -= 1
        items[j] = value


def _sift(items, first, hole, length, value, less):
    """__adjust_heap followed by __push_heap."""
    top = child = hole
    while child < (length - 1) // 2:
        child = 2 * (child + 1)
        if less(items[first + child], items[first + child - 1]):
            child -= 1
        items[first + hole] = items[first + child]
        hole = child
    if length % 2 == 0 and child == (length - 2) // 2:
        child = 2 * (child + 1)
        items[first + hole] = items[first + child - 1]
        hole = child - 1
    parent = (hole - 1) // 2
    while hole > top and less(items[first + parent], value):
        items[first + hole] = items[first + parent]
        hole, parent = parent, (parent - 1) // 2
    items[first + hole] = value


def _pop_heap(items, first, last, result, less):
    value, items[result] = items[result], items[first]
    _sift(items, first, 0, last - first, value, less)


def _heap_select(items, first, middle, last, less):
    length = middle - first
    for parent in range((length - 2) // 2, -1, -1) if length > 1 else ():
        _sift(items, first, parent, length, items[first + parent], less)
    for i in range(middle, last):
        if less(items[i], items[first]):
            _pop_heap(items, first, middle, i, less)


def partial_sort(items, first, middle, last, less):
    """std::partial_sort: heap selection, then heap sort of the selected part."""
    _heap_select(items, first, middle, last, less)
    while middle - first > 1:
        middle -= 1
        _pop_heap(items, first, middle, middle, less)


def nth_element(items, nth, less):
    """std::nth_element (introselect)."""
    first, last = 0, len(items)
    if first == last or nth == last:
        return
    depth = 2 * ((last - first).bit_length() - 1)
    while last - first > 3:
        if depth == 0:
            _heap_select(items, first, nth + 1, last, less)
            _swap(items, first, nth)
            return
        depth -= 1
        cut = _partition_pivot(items, first, last, less)
        first, last = (cut, last) if cut <= nth else (first, cut)
    _insertion_sort(items, first, last, less)


def std_sort(items, first, last, less):
    """std::sort: introsort down to runs of 16, then one insertion pass."""
    if last - first < 2:
        return
    _introsort(items, first, last, 2 * ((last - first).bit_length() - 1), less)
    if last - first > 16:
        _insertion_sort(items, first, first + 16, less)
        _insertion_sort(items, first + 16 - 1, last, less, guarded=False)
    else:
        _insertion_sort(items, first, last, less)


def _introsort(items, first, last, depth, less):
    while last - first > 16:
        if depth == 0:
            partial_sort(items, first, last, last, less)
            return
        depth -= 1
        cut = _partition_pivot(items, first, last, less)
        _introsort(items, cut, last, depth, less)
        last = cut


def quick_select(items, k, greater):
    """torch's own quickselect (kthvalue's kernel): Sedgewick's partitioning."""
    left, right = 0, len(items) - 1
    while right > left + 1:
        _swap(items, (left + right) // 2, left + 1)
        for a, b in ((left + 1, right), (left, right), (left + 1, left)):
            if greater(items[a], items[b]):
                _swap(items, a, b)
        i, j, pivot = left + 1, right, items[left]
        while True:
            i += 1
            while greater(pivot, items[i]):
                i += 1
            j -= 1
            while greater(items[j], pivot):
                j -= 1
            if j < i:
                break
            _swap(items, i, j)
        _swap(items, left, j)
        if j <= k:
            left = i
        if j >= k:
            right = j - 1
    if right == left + 1 and greater(items[left], items[right]):
        _swap(items, left, right)


def _nan(v):
    return v != v


def nan_greater(a, b):
    """torch's comparator for 'largest first': NaN above everything."""
    return (_nan(a[0]) and not _nan(b[0])) or a[0] > b[0]


def nan_less(a, b):
    """torch's comparator for 'smallest first': NaN still last."""
    return (not _nan(a[0]) and _nan(b[0])) or a[0] < b[0]


def plain_less(a, b):
    return a[0] < b[0]


def _pairs(row):
    return list(zip(row.tolist(), range(len(row))))


@functools.cache
def _all_equal_nth(n):
    """The index std::nth_element leaves first among n equivalent elements (nanmedian of NaNs)."""
    items = [(0, i) for i in range(n)]
    nth_element(items, 0, lambda a, b: False)
    return items[0][1]
