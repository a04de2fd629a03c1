package io.sonaflink.operators.bundle;

/**
 * How an operator lets its function see and change the current key, which a {@link StateBundle}
 * needs to write each held key back to the keyed state backend.
 */
public interface KeyAccess {

    String currentKey();

    void setCurrentKey(String key);
}
