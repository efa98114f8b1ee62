export interface BucketObject {
  key: string;
  /** ETag without quotes. */
  etag: string;
  size: number;
}

export interface BucketIndex {
  /** Selected objects in key order. */
  objects: BucketObject[];
  /** `sha256:<hex>` of the key -> etag index, as Flux computes it. */
  revision: string;
}
