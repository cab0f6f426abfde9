package dev.pnn.tensor;

import java.lang.foreign.MemorySegment;

/** Overlap tests shared by the tensor types (all off-heap, so addresses are comparable). */
final class Memory {

    private Memory() {}

    static boolean overlaps(MemorySegment a, MemorySegment b) {
        return a.asOverlappingSlice(b).isPresent();
    }

    static boolean same(MemorySegment a, MemorySegment b) {
        return a.address() == b.address() && a.byteSize() == b.byteSize();
    }
}
