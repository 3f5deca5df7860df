import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{a as s}from"./chunk-4ORLO7YX.js";import{e as r}from"./chunk-XTUIZPUZ.js";var a=r(s(),1);export{a};
