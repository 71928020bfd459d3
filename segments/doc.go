// Package segments turns profiles into features (RFM, lifecycle, frequency, order value,
// geography, device, language, currency, risk, product affinity), scores them against the
// population (Model: quintile ranks, tiers, BG/NBD and Gamma-Gamma predictions from
// segments/predict, optional k-means) and puts each profile into segments, built-in and custom
// (Matcher, compiled by segments/rules). State keeps the result between full recomputes for
// incremental updates. It never reads the store or calls a platform: sync/segmenter does.
// docs/segments.md documents every segment, threshold and formula.
package segments
