package dev.pnn.tensor;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;

/**
 * Buffers allocated once per batch size (row count) and reused, for at most {@code capacity}
 * sizes at a time: the one mechanism behind a workspace's activations and loss gradients and a
 * data loader's batch buffers.
 *
 * <p>{@link #get(int)} returns the buffers for a row count, allocating them through the factory
 * the first time. Each set lives in an {@link Arena} of its own. When a row count arrives that
 * is not held and {@code capacity} sets already are, the least recently used set is released:
 * its arena is closed, so its tensors become unusable (an access throws
 * {@link IllegalStateException}; nothing crashes) and its memory returns at once. A training loop
 * uses two or three sizes (the batch, the last partial batch, the evaluation batch), which stay
 * allocated; a caller that walks through many sizes holds at most {@code capacity} of them.
 *
 * <p>Not thread-safe: one owner at a time, which closes it.
 *
 * @param <T> what one batch size needs, built by the factory from an arena and a row count
 */
public final class BatchBuffers<T> implements AutoCloseable {

    /** Allocates the buffers of one row count in {@code arena}, which owns them. */
    @FunctionalInterface
    public interface Factory<T> {
        T allocate(Arena arena, int rows);
    }

    private record Entry<T>(int rows, Arena arena, T buffers) {}

    private final int capacity;
    private final Factory<T> factory;
    /** Most recently used last. */
    private final List<Entry<T>> entries = new ArrayList<>();
    private boolean closed;

    /**
     * @param capacity how many row counts to keep at most, {@code >= 1}
     */
    public BatchBuffers(int capacity, Factory<T> factory) {
        if (capacity < 1) {
            throw new IllegalArgumentException("BatchBuffers: capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
        this.factory = factory;
    }

    /** The buffers held for {@code rows} rows, or null when none are; changes nothing. */
    public T find(int rows) {
        for (int i = entries.size() - 1; i >= 0; i--) {
            Entry<T> e = entries.get(i);
            if (e.rows() == rows) {
                return e.buffers();
            }
        }
        return null;
    }

    /**
     * The buffers for {@code rows}, allocated on first use; may release the least recently used
     * other set (see the class comment).
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public T get(int rows) {
        if (closed) {
            throw new IllegalStateException("BatchBuffers: closed");
        }
        int last = entries.size() - 1;
        if (last >= 0 && entries.get(last).rows() == rows) {
            return entries.get(last).buffers(); // the steady state: the same size again
        }
        for (int i = last - 1; i >= 0; i--) {
            Entry<T> e = entries.get(i);
            if (e.rows() == rows) {
                entries.remove(i);
                entries.add(e);
                return e.buffers();
            }
        }
        if (entries.size() == capacity) {
            entries.removeFirst().arena().close();
        }
        Arena arena = Arena.ofShared();
        try {
            T buffers = factory.allocate(arena, rows);
            entries.add(new Entry<>(rows, arena, buffers));
            return buffers;
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** How many row counts are held now, at most {@link #capacity()}. */
    public int size() {
        return entries.size();
    }

    /** The buffers held now, least recently used first. */
    public List<T> values() {
        return entries.stream().map(Entry::buffers).toList();
    }

    public int capacity() {
        return capacity;
    }

    /** Releases every set; later {@link #get} calls throw. */
    @Override
    public void close() {
        closed = true;
        for (Entry<T> e : entries) {
            e.arena().close();
        }
        entries.clear();
    }
}
