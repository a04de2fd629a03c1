package io.sonaflink.operators.inference;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ServingCacheTest {

    @Test
    void theLeastRecentlyUsedGoFirstOnceTheBytesExceedTheBound() {
        ServingCache cache = new ServingCache(100);
        cache.put("a", "A", 40);
        cache.put("b", "B", 40);
        assertThat((String) cache.get("a")).isEqualTo("A"); // now b is the least recently used
        cache.put("c", "C", 40);

        assertThat((String) cache.get("b")).isNull();
        assertThat((String) cache.get("a")).isEqualTo("A");
        assertThat((String) cache.get("c")).isEqualTo("C");
        assertThat(cache.bytes()).isEqualTo(80);
        assertThat(cache.evictions()).isEqualTo(1);
    }

    @Test
    void aValueLargerThanTheBoundIsStillKeptUntilTheNext() {
        ServingCache cache = new ServingCache(100);
        cache.put("a", "A", 40);
        cache.put("big", "BIG", 500);

        assertThat((String) cache.get("big")).isEqualTo("BIG");
        assertThat((String) cache.get("a")).isNull();
        cache.put("b", "B", 10);
        assertThat((String) cache.get("big")).isNull();
        assertThat(cache.bytes()).isEqualTo(10);
    }

    @Test
    void replacingAValueCountsOnlyTheNewSize() {
        ServingCache cache = new ServingCache(100);
        cache.put("a", "A1", 60);
        cache.put("a", "A2", 30);
        cache.remove("missing");

        assertThat((String) cache.get("a")).isEqualTo("A2");
        assertThat(cache.bytes()).isEqualTo(30);
        assertThat(cache.size()).isEqualTo(1);
    }
}
