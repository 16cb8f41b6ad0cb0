// The API type, for tests that index it loosely.
export type AnyFn = (...args: any[]) => any;
export type Loose = Record<string, AnyFn> & { A: new (...args: any[]) => { call(): string } };
