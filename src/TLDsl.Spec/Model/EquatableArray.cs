using System;
using System.Collections;
using System.Collections.Generic;
using System.Linq;

namespace TLDsl.Spec.Model;

/// <summary>
/// An immutable array with structural equality and hashing, so that spec records stay value-equatable
/// (an incremental generator caches on equality; a plain array compares by reference).
/// </summary>
/// <typeparam name="T">The element type; must itself be value-equatable.</typeparam>
public readonly struct EquatableArray<T> : IEquatable<EquatableArray<T>>, IReadOnlyList<T>
    where T : IEquatable<T>
{
    private readonly T[]? _items;

    /// <summary>Creates an array holding a private copy of <paramref name="items"/>.</summary>
    /// <param name="items">The elements, in order.</param>
    public EquatableArray(IEnumerable<T> items)
    {
        _items = items?.ToArray();
    }

    /// <summary>Number of elements.</summary>
    public int Count => _items?.Length ?? 0;

    /// <summary>True when there are no elements.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>The element at <paramref name="index"/>.</summary>
    /// <param name="index">Zero-based index.</param>
    public T this[int index] => (_items ?? Array.Empty<T>())[index];

    /// <inheritdoc/>
    public bool Equals(EquatableArray<T> other)
    {
        var a = _items ?? Array.Empty<T>();
        var b = other._items ?? Array.Empty<T>();
        if (a.Length != b.Length)
        {
            return false;
        }

        for (var i = 0; i < a.Length; i++)
        {
            if (!EqualityComparer<T>.Default.Equals(a[i], b[i]))
            {
                return false;
            }
        }

        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is EquatableArray<T> other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        unchecked
        {
            var hash = 17;
            foreach (var item in _items ?? Array.Empty<T>())
            {
                hash = (hash * 31) + (item is null ? 0 : EqualityComparer<T>.Default.GetHashCode(item));
            }

            return hash;
        }
    }

    /// <summary>Structural equality.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    public static bool operator ==(EquatableArray<T> left, EquatableArray<T> right) => left.Equals(right);

    /// <summary>Structural inequality.</summary>
    /// <param name="left">Left operand.</param>
    /// <param name="right">Right operand.</param>
    public static bool operator !=(EquatableArray<T> left, EquatableArray<T> right) => !left.Equals(right);

    /// <inheritdoc/>
    public IEnumerator<T> GetEnumerator() => ((IEnumerable<T>)(_items ?? Array.Empty<T>())).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Shows the elements, for test output and debugging.</summary>
    public override string ToString() => "[" + string.Join(", ", this.Select(x => x?.ToString())) + "]";
}

/// <summary>Factory helpers for <see cref="EquatableArray{T}"/>.</summary>
public static class EquatableArray
{
    /// <summary>Creates an equatable array from a sequence.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="items">The elements, in order.</param>
    public static EquatableArray<T> From<T>(IEnumerable<T> items)
        where T : IEquatable<T> => new(items);

    /// <summary>Creates an equatable array from the given elements.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="items">The elements, in order.</param>
    public static EquatableArray<T> Of<T>(params T[] items)
        where T : IEquatable<T> => new(items);
}
