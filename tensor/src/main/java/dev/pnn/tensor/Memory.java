package dev.pnn.tensor;

import java.lang.foreign.MemorySegment;

/** Overlap tests shared by the tensor types (all off-heap, so addresses are comparable). */
final class Memory {

    private Memory() {}

    /** Whether the two share a byte; by address arithmetic (no allocation) when both are native. */
    static boolean overlaps(MemorySegment a, MemorySegment b) {
        if (!a.isNative() || !b.isNative()) {
            return a.asOverlappingSlice(b).isPresent();
        }
        long a0 = a.address();
        long b0 = b.address();
        return a.byteSize() > 0 && b.byteSize() > 0 && a0 < b0 + b.byteSize() && b0 < a0 + a.byteSize();
    }

    static boolean same(MemorySegment a, MemorySegment b) {
        return a.address() == b.address() && a.byteSize() == b.byteSize();
    }
}
