import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a as s}from"./chunk-HOIGDQXB.js";import{d as r}from"./chunk-ORKPRCK3.js";var a=r(s(),1);export{a};
