package io.sonaflink.state.bank;

/** A search hit: the pattern and its cosine similarity to the query. */
public record SimilarPattern(Pattern pattern, float similarity) {}
