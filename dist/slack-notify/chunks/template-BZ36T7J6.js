import{createRequire as __shiplineCreateRequire}from'node:module';const require=__shiplineCreateRequire(import.meta.url);
import{e as a,f as b,g as c,h as d,i as e}from"./chunk-V6UQFYTQ.js";import"./chunk-QVYXNAN3.js";import"./chunk-RJB56TOX.js";import"./chunk-7GWHHMZV.js";export{a as VARIABLES,d as fillTemplate,e as fillText,b as locateJsonError,c as parsePayloadTemplate};
