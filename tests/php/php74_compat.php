<?php
/**
 * Reports PHP 8-only syntax and functions in the given files, so code meant for PHP 7.4
 * (the WordPress plugin) can be checked on a machine that only has PHP 8.
 *
 * Uses nikic/PHP-Parser (Debian's php-parser): the file is parsed to an AST and every
 * node that PHP 7.4 would not accept is reported as "file:line: what". Exit status 1 when
 * anything was found, 2 when the parser is missing.
 *
 * Usage: php tests/php/php74_compat.php FILE...
 */

declare(strict_types=1);

$autoload = getenv('LEGION_PHP_PARSER_AUTOLOAD') ?: '/usr/share/php/PhpParser/autoload.php';
if (!is_file($autoload)) {
    fwrite(STDERR, "nikic/PHP-Parser not found at $autoload (Debian package php-parser)\n");
    exit(2);
}
require $autoload;

use PhpParser\Node;
use PhpParser\NodeTraverser;
use PhpParser\NodeVisitorAbstract;
use PhpParser\ParserFactory;

final class Php8Finder extends NodeVisitorAbstract
{
    /** Functions that PHP 7.4 does not have. */
    private const PHP8_FUNCTIONS = [
        'str_contains', 'str_starts_with', 'str_ends_with', 'get_debug_type', 'get_resource_id',
        'fdiv', 'preg_last_error_msg', 'array_is_list', 'enum_exists', 'array_find',
        'array_any', 'array_all', 'json_validate', 'mb_str_pad',
    ];

    /** Type names that PHP 7.4 does not know. */
    private const PHP8_TYPES = ['mixed', 'static', 'never', 'false', 'null', 'true'];

    /** @var string[] */
    public array $problems = [];

    public function enterNode(Node $node)
    {
        $line = $node->getStartLine();
        if ($node instanceof Node\Expr\Match_) {
            $this->report($line, 'match expression (PHP 8.0)');
        } elseif ($node instanceof Node\Expr\NullsafeMethodCall || $node instanceof Node\Expr\NullsafePropertyFetch) {
            $this->report($line, 'nullsafe operator ?-> (PHP 8.0)');
        } elseif ($node instanceof Node\Expr\Throw_) {
            $this->report($line, 'throw as an expression (PHP 8.0)');
        } elseif ($node instanceof Node\Arg && $node->name !== null) {
            $this->report($line, 'named argument ' . $node->name->toString() . ': (PHP 8.0)');
        } elseif ($node instanceof Node\VariadicPlaceholder) {
            $this->report($line, 'first-class callable syntax (...) (PHP 8.1)');
        } elseif ($node instanceof Node\UnionType) {
            $this->report($line, 'union type (PHP 8.0)');
        } elseif ($node instanceof Node\IntersectionType) {
            $this->report($line, 'intersection type (PHP 8.1)');
        } elseif ($node instanceof Node\Stmt\Enum_) {
            $this->report($line, 'enum (PHP 8.1)');
        } elseif ($node instanceof Node\Param && $node->flags !== 0) {
            $this->report($line, 'constructor property promotion (PHP 8.0)');
        } elseif ($node instanceof Node\Stmt\Catch_ && $node->var === null) {
            $this->report($line, 'catch without a variable (PHP 8.0)');
        } elseif ($node instanceof Node\Stmt\Property && ($node->flags & Node\Stmt\Class_::MODIFIER_READONLY)) {
            $this->report($line, 'readonly property (PHP 8.1)');
        } elseif ($node instanceof Node\Stmt\Class_ && ($node->flags & Node\Stmt\Class_::MODIFIER_READONLY)) {
            $this->report($line, 'readonly class (PHP 8.2)');
        } elseif ($node instanceof Node\Expr\New_ && $this->inInitializer($node)) {
            $this->report($line, 'new in an initializer (PHP 8.1)');
        } elseif ($node instanceof Node\Scalar\LNumber && ($node->getAttribute('rawValue') !== null) && preg_match('/^0[oO]/', (string) $node->getAttribute('rawValue'))) {
            $this->report($line, 'explicit octal 0o prefix (PHP 8.1)');
        } elseif ($node instanceof Node\Expr\FuncCall && $node->name instanceof Node\Name) {
            $name = strtolower($node->name->toString());
            if (in_array(ltrim($name, '\\'), self::PHP8_FUNCTIONS, true)) {
                $this->report($line, "function $name() (PHP 8+)");
            }
        } elseif ($node instanceof Node\Stmt\ClassConst && property_exists($node, 'type') && $node->type !== null) {
            $this->report($line, 'typed class constant (PHP 8.3)');
        }
        if (property_exists($node, 'attrGroups') && !empty($node->attrGroups)) {
            $this->report($line, 'attribute #[...] (PHP 8.0)');
        }
        if ($node instanceof Node\FunctionLike) {
            foreach ($node->getParams() as $param) {
                $this->checkType($param->type, $line);
            }
            $this->checkType($node->getReturnType(), $line);
            $this->checkTrailingComma($node, $line);
        }
        return null;
    }

    private function checkType($type, int $line): void
    {
        if ($type instanceof Node\Identifier && in_array($type->toLowerString(), self::PHP8_TYPES, true)) {
            $this->report($line, 'type ' . $type->toLowerString() . ' (PHP 8+)');
        }
    }

    /** A trailing comma after the last parameter (PHP 8.0); calls may have one since 7.3. */
    private function checkTrailingComma(Node\FunctionLike $node, int $line): void
    {
        $params = $node->getParams();
        if (!$params) {
            return;
        }
        $tokens = $this->tokens;
        $position = end($params)->getEndTokenPos() + 1;
        while (isset($tokens[$position]) && is_array($tokens[$position]) && in_array($tokens[$position][0], [T_WHITESPACE, T_COMMENT, T_DOC_COMMENT], true)) {
            $position++;
        }
        if (($tokens[$position] ?? null) === ',') {
            $this->report($line, 'trailing comma in a parameter list (PHP 8.0)');
        }
    }

    private function inInitializer(Node $node): bool
    {
        $parent = $node->getAttribute('parent');
        while ($parent !== null) {
            if ($parent instanceof Node\Param || $parent instanceof Node\Const_ || $parent instanceof Node\Stmt\StaticVar || $parent instanceof Node\PropertyItem || $parent instanceof Node\Stmt\PropertyProperty) {
                return true;
            }
            if ($parent instanceof Node\FunctionLike || $parent instanceof Node\Stmt) {
                return false;
            }
            $parent = $parent->getAttribute('parent');
        }
        return false;
    }

    /** @var array */
    public array $tokens = [];

    private string $file = '';

    public function start(string $file, array $tokens): void
    {
        $this->file = $file;
        $this->tokens = $tokens;
    }

    private function report(int $line, string $what): void
    {
        $this->problems[] = "{$this->file}:{$line}: {$what}";
    }
}

$lexer = new PhpParser\Lexer\Emulative([
    'usedAttributes' => ['comments', 'startLine', 'endLine', 'startTokenPos', 'endTokenPos', 'rawValue'],
]);
$parser = (new ParserFactory())->create(ParserFactory::ONLY_PHP7, $lexer);
$finder = new Php8Finder();
$traverser = new NodeTraverser();
$traverser->addVisitor(new PhpParser\NodeVisitor\ParentConnectingVisitor());
$traverser->addVisitor($finder);

$status = 0;
foreach (array_slice($argv, 1) as $file) {
    try {
        $ast = $parser->parse((string) file_get_contents($file));
    } catch (PhpParser\Error $error) {
        echo "$file: parse error: {$error->getMessage()}\n";
        $status = 1;
        continue;
    }
    $finder->start($file, $lexer->getTokens());
    $traverser->traverse($ast ?? []);
}
foreach ($finder->problems as $problem) {
    echo $problem, "\n";
}
exit($finder->problems ? 1 : $status);
