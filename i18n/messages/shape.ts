/** A catalogue's shape with every string widened: the other language must have the same keys, any words. */
export type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };
